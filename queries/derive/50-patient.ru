# id: derive-patient
# summary: Per patient: the consent date C (the latest active research consent on or before D, else D); whether the pregnancy check applies (female or gender unknown/missing, unless a female's latest childbearing-potential record says false); whether a nursing check applies (gender not male); whether the record states a death on or before D (bk:DeceasedAtAsOf, contract.md); a note (a warning naming the patient) for a death, a death dated after D, and a birth date after C.
# parameters: none
PREFIX bk: <https://w3id.org/blinakg/ontology#>
PREFIX vs: <https://w3id.org/blinakg/valueset/>

INSERT { ?patient bk:consentDate ?consentDate }
WHERE {
  SELECT ?patient (MAX(?date) AS ?consentDate)
  WHERE {
    ?consent a bk:Evidence, bk:Consent ; bk:subject ?patient ; bk:status "active" ;
             bk:inValueSet vs:research-consent ; bk:onDate ?date .
  }
  GROUP BY ?patient
} ;

INSERT { ?patient bk:consentDate ?asOf }
WHERE {
  ?patient a bk:Patient .
  ?screening bk:asOf ?asOf .
  FILTER NOT EXISTS { ?patient bk:consentDate ?date }
} ;

INSERT { ?patient a bk:PotentiallyChildbearing }
WHERE {
  ?patient a bk:Patient .
  OPTIONAL { ?patient bk:gender ?gender }
  FILTER (!BOUND(?gender) || ?gender IN ("female", "unknown"))
  # Not applicable: a female whose latest childbearing-potential record is false.
  OPTIONAL {
    FILTER (?gender = "female")
    ?potential a bk:Evidence ; bk:subject ?patient ; bk:inValueSet vs:childbearing-potential ;
               bk:valueBoolean false ; bk:daysBeforeAsOf ?days .
    OPTIONAL {
      ?later a bk:Evidence ; bk:subject ?patient ; bk:inValueSet vs:childbearing-potential ;
             bk:valueBoolean true ; bk:daysBeforeAsOf ?laterDays .
      FILTER (?laterDays <= ?days)
    }
    FILTER (!BOUND(?later))
  }
  FILTER (!BOUND(?potential))
} ;

# Issue 18: nursing / breast-feeding concerns every patient not recorded male (a male settles it).
INSERT { ?patient a bk:NotMale }
WHERE {
  ?patient a bk:Patient .
  OPTIONAL { ?patient bk:gender ?gender }
  FILTER (!BOUND(?gender) || ?gender != "male")
}

;

# contract.md: "A patient whose record states a death (Patient.deceasedDateTime on
# or before D, or deceasedBoolean true) gets the verdict ineligible, a deceased
# field (the date, or true) and a warning naming the patient."
INSERT { ?patient a bk:DeceasedAtAsOf ; bk:deceasedAsStated ?stated ; bk:patientNote ?note }
WHERE {
  ?patient a bk:Patient .
  ?screening bk:asOf ?asOf .
  {
    ?patient bk:deceasedDate ?died ; bk:deceasedDaysBeforeAsOf ?days .
    FILTER (?days >= 0)
    BIND (STR(?died) AS ?stated)
  } UNION {
    ?patient bk:deceased true .
    FILTER NOT EXISTS { ?patient bk:deceasedDaysBeforeAsOf ?on . FILTER (?on >= 0) }
    BIND (true AS ?stated)
  }
  BIND (IF(BOUND(?died), CONCAT("the record states a death on ", STR(?died), ", on or before ", STR(?asOf)),
           "the record states that the patient is deceased (deceasedBoolean true)") AS ?what)
  OPTIONAL { ?patient bk:fhirId ?fhirId }
  BIND (CONCAT("Patient ", COALESCE(?fhirId, STR(?patient)), ": ", ?what,
               "; the verdict is ineligible (for every trial); the criteria are still reported.") AS ?note)
} ;

# A death dated after D: the patient was alive at D (screened as such), but the
# date is worth a look (a retrospective D, or a wrong date).
INSERT { ?patient bk:patientNote ?note }
WHERE {
  ?patient a bk:Patient ; bk:deceasedDate ?died ; bk:deceasedDaysBeforeAsOf ?days .
  FILTER (?days < 0)
  FILTER NOT EXISTS { ?patient a bk:DeceasedAtAsOf }
  ?screening bk:asOf ?asOf .
  OPTIONAL { ?patient bk:fhirId ?fhirId }
  BIND (CONCAT("Patient ", COALESCE(?fhirId, STR(?patient)), ": the record states a death on ", STR(?died),
               ", after ", STR(?asOf), "; the patient is screened as alive on ", STR(?asOf), ".") AS ?note)
} ;

# A birth date after C (C is on or before D): the record is inconsistent; age
# checks say unknown (shapes/components.ttl, age) and this warning names it.
INSERT { ?patient bk:patientNote ?note }
WHERE {
  ?patient a bk:Patient ; bk:birthDate ?birth ; bk:birthEarliest ?earliest ; bk:consentDate ?c .
  FILTER (?earliest > ?c)
  ?screening bk:asOf ?asOf .
  OPTIONAL { ?patient bk:fhirId ?fhirId }
  BIND (IF(EXISTS { ?consent a bk:Evidence, bk:Consent ; bk:subject ?patient ; bk:status "active" ;
                             bk:inValueSet vs:research-consent ; bk:onDate ?c },
           "the consent date ", "the screening date ") AS ?which)
  BIND (CONCAT("Patient ", COALESCE(?fhirId, STR(?patient)), ": the birth date ", STR(?birth), " is after ", ?which,
               STR(?c), "; the record is inconsistent, and its age criteria are unknown.") AS ?note)
}
