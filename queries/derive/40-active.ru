# id: derive-active
# summary: Mark active conditions and allergies at D. criteria.md: "active condition — clinicalStatus active, recurrence or relapse, or no clinicalStatus and no abatement on or before D". An allergy is active unless its clinicalStatus is inactive or resolved.
# parameters: none
PREFIX bk: <https://w3id.org/blinakg/ontology#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>

INSERT { ?record a bk:ActiveRecord }
WHERE {
  ?record a bk:Evidence, bk:Condition ; bk:clinicalStatus ?status .
  ?policy bk:activeClinicalStatus ?status .
} ;

INSERT { ?record a bk:ActiveRecord }
WHERE {
  ?record a bk:Evidence, bk:Condition .
  FILTER NOT EXISTS { ?record bk:clinicalStatus ?anyStatus }
  OPTIONAL {
    ?record bk:abatedOn ?abatement .
    ?screening bk:asOf ?asOf .
    FILTER (?abatement <= ?asOf)
  }
  FILTER (!BOUND(?abatement))
} ;

INSERT { ?record a bk:ActiveRecord }
WHERE {
  ?record a bk:Evidence, bk:AllergyIntolerance .
  OPTIONAL {
    ?record bk:clinicalStatus ?status .
    ?policy bk:inactiveAllergyStatus ?status .
  }
  FILTER (!BOUND(?status))
}
