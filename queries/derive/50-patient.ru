# id: derive-patient
# summary: Per patient: the consent date C (the latest active research consent on or before D, else D) whether the pregnancy check applies (female or gender unknown/missing, unless a female's latest childbearing-potential record says false), and whether a nursing check applies (gender not male).
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
