# id: derive-evidence
# summary: Decide which records are evidence at D. A record is not evidence when a status of the policy says so (entered-in-error, refuted, cancelled, not-done, not-taken; a condition unconfirmed, provisional or differential), when its class counts under listed statuses only (Observation: final, amended, corrected; MedicationOrder: active, completed, on-hold) and its status is another, when it is dated after D, or when its subject is not a patient of the input. Everything else is bk:Evidence.
# parameters: none (reads bk:asOf of the bk:Screening node)
PREFIX bk: <https://w3id.org/blinakg/ontology#>

INSERT { ?record bk:ignoredBecause ?why }
WHERE {
  ?record bk:subject ?patient .
  {
    ?policy bk:noEvidenceStatus ?status .
    { ?record bk:status ?status } UNION { ?record bk:verificationStatus ?status }
    BIND (CONCAT("has status ", ?status) AS ?why)
  } UNION {
    # Classes that count under listed statuses only (bk:evidenceStatuses).
    ?policy bk:evidenceStatuses ?allowed .
    ?allowed bk:recordClass ?class .
    # (A FHIR record without the status FHIR requires is not lifted: readers/fhir/reader.py.)
    ?record a ?class ; bk:status ?recordStatus .
    FILTER NOT EXISTS { ?allowed bk:evidenceStatus ?recordStatus }
    BIND (CONCAT("has status ", ?recordStatus) AS ?why)
  } UNION {
    # A suspected or not yet established condition (fhir-input.md extended by issue 18).
    ?policy bk:noEvidenceConditionStatus ?status .
    ?record a bk:Condition ; bk:verificationStatus ?status .
    BIND (CONCAT("has verification status ", ?status) AS ?why)
  } UNION {
    ?record bk:daysBeforeAsOf ?days .
    FILTER (?days < 0)
    ?screening bk:asOf ?asOf .
    BIND (CONCAT("is dated after ", STR(?asOf)) AS ?why)
  } UNION {
    ?record bk:subject ?patient .
    FILTER NOT EXISTS { ?patient a bk:Patient }
    BIND ("refers to a patient that is not in the input" AS ?why)
  }
} ;

INSERT { ?record a bk:Evidence }
WHERE {
  ?record bk:subject ?patient .
  ?patient a bk:Patient .
  FILTER NOT EXISTS { ?record bk:ignoredBecause ?why }
}
