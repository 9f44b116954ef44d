# id: derive-estimates
# summary: Derive estimated results from the model's bk:Estimate rules (bedside Schwartz: eGFR = 0.413 x height cm / creatinine mg/dL). Reads the latest numerator result in its window and the latest denominator result in its window (every result on those dates: the check then takes the least favourable); the estimate is dated by the denominator. A unit problem of an input is carried over, so the check names it.
# parameters: none
PREFIX bk: <https://w3id.org/blinakg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

INSERT {
  ?estimate a bk:Observation, bk:Evidence ;
      bk:subject ?patient ;
      bk:inValueSet ?target ;
      bk:estimatedBy ?rule ;
      bk:derivedFrom ?num, ?den ;
      bk:onDate ?date ;
      bk:daysBeforeAsOf ?denDays ;
      bk:normValue ?value ;
      bk:normUnit ?unit ;
      bk:unitProblem ?problem ;
      bk:valueText ?text .
}
WHERE {
  ?rule a bk:Estimate ; rdfs:label ?ruleLabel ; bk:estimates ?target ; bk:factor ?factor ;
        bk:numeratorValueSet ?numSet ; bk:numeratorWindowDays ?numWindow ;
        bk:denominatorValueSet ?denSet ; bk:denominatorWindowDays ?denWindow .
  ?target bk:canonicalUnit ?unit .
  ?den a bk:Evidence ; bk:subject ?patient ; bk:inValueSet ?denSet ; bk:daysBeforeAsOf ?denDays ; bk:onDate ?date .
  FILTER (?denDays <= ?denWindow)
  FILTER NOT EXISTS { ?newerDen a bk:Evidence ; bk:subject ?patient ; bk:inValueSet ?denSet ; bk:daysBeforeAsOf ?d2 . FILTER (?d2 < ?denDays) }
  # Joined through the patient; evidence is a filter, not a pattern, so that
  # the join starts from the patient's records rather than all evidence.
  ?num bk:subject ?patient ; bk:inValueSet ?numSet ; bk:daysBeforeAsOf ?numDays .
  FILTER (?numDays <= ?numWindow && EXISTS { ?num a bk:Evidence })
  FILTER NOT EXISTS { ?newerNum a bk:Evidence ; bk:subject ?patient ; bk:inValueSet ?numSet ; bk:daysBeforeAsOf ?n2 . FILTER (?n2 < ?numDays) }
  OPTIONAL { ?num bk:normValue ?numValue }
  OPTIONAL { ?den bk:normValue ?denValue }
  OPTIONAL { ?num bk:valueText ?numText }
  OPTIONAL { ?den bk:valueText ?denText }
  OPTIONAL { ?num bk:unitProblem ?numProblem }
  OPTIONAL { ?den bk:unitProblem ?denProblem }
  OPTIONAL { ?numSet rdfs:label ?numLabel }
  OPTIONAL { ?denSet rdfs:label ?denLabel }
  # A stable IRI, the same on every run and engine: from the rule and the records it reads.
  BIND (IRI(CONCAT("urn:blinakg:estimate:", SHA256(CONCAT(STR(?rule), " ", STR(?num), " ", STR(?den))))) AS ?estimate)
  BIND (IF(BOUND(?numValue) && BOUND(?denValue) && ?denValue > 0, ?factor * ?numValue / ?denValue, ?unbound) AS ?value)
  BIND (IF(BOUND(?value), ?unbound,
           COALESCE(CONCAT(?numLabel, ": ", ?numProblem), CONCAT(?denLabel, ": ", ?denProblem),
                    CONCAT(?denLabel, " is zero or has no value"))) AS ?problem)
  BIND (CONCAT(IF(BOUND(?value), CONCAT(STR(ROUND(?value * 10) / 10), " ", ?unit, " "), ""),
               "(estimated by ", ?ruleLabel, " from ", ?numLabel, " ", COALESCE(?numText, "?"),
               " and ", ?denLabel, " ", COALESCE(?denText, "?"), ")") AS ?text)
}
