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
  # The latest numerator and denominator in their windows, per patient, by
  # aggregation (linear in the cohort), then every record on those dates.
  {
    SELECT ?rule ?patient (MIN(?d) AS ?denDays)
    WHERE {
      ?rule a bk:Estimate ; bk:denominatorValueSet ?dSet ; bk:denominatorWindowDays ?dWindow .
      ?d0 bk:inValueSet ?dSet ; bk:daysBeforeAsOf ?d ; bk:subject ?patient .
      FILTER (?d <= ?dWindow)
    }
    GROUP BY ?rule ?patient
  }
  {
    SELECT ?rule ?patient (MIN(?n) AS ?numDays)
    WHERE {
      ?rule a bk:Estimate ; bk:numeratorValueSet ?nSet ; bk:numeratorWindowDays ?nWindow .
      ?n0 bk:inValueSet ?nSet ; bk:daysBeforeAsOf ?n ; bk:subject ?patient .
      FILTER (?n <= ?nWindow)
    }
    GROUP BY ?rule ?patient
  }
  ?den bk:inValueSet ?denSet ; bk:daysBeforeAsOf ?denDays ; bk:onDate ?date ; bk:subject ?patient .
  ?num bk:inValueSet ?numSet ; bk:daysBeforeAsOf ?numDays ; bk:subject ?patient .
  OPTIONAL { ?num bk:normValue ?numValue }
  OPTIONAL { ?den bk:normValue ?denValue }
  OPTIONAL { ?num bk:valueText ?numText }
  OPTIONAL { ?den bk:valueText ?denText }
  OPTIONAL { ?num bk:unitProblem ?numProblem }
  OPTIONAL { ?den bk:unitProblem ?denProblem }
  # An input kept in another unit than its value set's (a conversion whose divisor gives no exact
  # decimal: creatinine in umol/L, 88.4 to a mg/dL): the scale from the canonical unit to the kept one.
  OPTIONAL { ?numSet bk:canonicalUnit ?numCanon . ?num bk:unitScale ?numScaleNode .
             ?numScaleNode bk:scaleUnit ?numCanon ; bk:scaleFactor ?numScale }
  OPTIONAL { ?denSet bk:canonicalUnit ?denCanon . ?den bk:unitScale ?denScaleNode .
             ?denScaleNode bk:scaleUnit ?denCanon ; bk:scaleFactor ?denScale }
  OPTIONAL { ?numSet rdfs:label ?numLabel }
  OPTIONAL { ?denSet rdfs:label ?denLabel }
  # A stable IRI, the same on every run and engine: from the rule and the records it reads.
  BIND (IRI(CONCAT("urn:blinakg:estimate:", SHA256(CONCAT(STR(?rule), " ", STR(?num), " ", STR(?den))))) AS ?estimate)
  BIND (IF(BOUND(?numValue) && BOUND(?denValue) && ?denValue > 0,
           IF(BOUND(?numScale) || BOUND(?denScale),
              ?factor * ?numValue * COALESCE(?denScale, 1) / (?denValue * COALESCE(?numScale, 1)),
              ?factor * ?numValue / ?denValue), ?unbound) AS ?value)
  BIND (IF(BOUND(?value), ?unbound,
           COALESCE(CONCAT(?numLabel, ": ", ?numProblem), CONCAT(?denLabel, ": ", ?denProblem),
                    CONCAT(?denLabel, " is zero or has no value"))) AS ?problem)
  BIND (CONCAT(IF(BOUND(?value), CONCAT(STR(ROUND(?value * 10) / 10), " ", ?unit, " "), ""),
               "(estimated by ", ?ruleLabel, " from ", ?numLabel, " ", COALESCE(?numText, "?"),
               " and ", ?denLabel, " ", COALESCE(?denText, "?"), ")") AS ?text)
}
