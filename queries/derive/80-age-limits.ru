# id: derive-age-limits
# summary: For each result a check compares with an age-banded table of limits (bk:ageLimitTable, issue 10: "an upper limit of normal 'for age'", age-banded serum creatinine), the patient's age in completed months at the result's date, over every birth date a partial one allows, and the lowest and highest limit of the bands that age (and the patient's sex, when a band names one and the patient is recorded male or female) can fall in; bk:ageCovered false when the youngest or oldest possible age falls in no band. Bands: bk:fromAgeYears / bk:fromAgeMonths (inclusive, absent: from birth) and bk:belowAgeYears / bk:belowAgeMonths (exclusive, absent: no upper end). No birth date: nothing (the check reads that as unknown).
# parameters: none
PREFIX bk: <https://w3id.org/blinakg/ontology#>

INSERT {
  ?record bk:ageLimit _:limit .
  _:limit bk:limitTable ?table ; bk:ageCovered ?covered ; bk:ageText ?ageText ;
          bk:lowestLimit ?lowest ; bk:highestLimit ?highest .
}
WHERE {
  {
    SELECT ?record ?table ?patient ?young ?old ?youngYears ?oldYears
           (MIN(?limit) AS ?lowest) (MAX(?limit) AS ?highest) (MAX(?youngIn) AS ?youngCovered) (MAX(?oldIn) AS ?oldCovered)
    WHERE {
      { SELECT DISTINCT ?table ?set WHERE { ?check bk:ageLimitTable ?table ; bk:valueSet ?set } }
      ?record bk:inValueSet ?set ; bk:onDate ?d ; bk:subject ?patient .
      ?patient bk:birthEarliest ?b1 ; bk:birthLatest ?b2 .
      OPTIONAL { ?patient bk:gender ?gender }
      BIND ((YEAR(?d) - YEAR(?b1)) * 12 + MONTH(?d) - MONTH(?b1) - IF(DAY(?d) < DAY(?b1), 1, 0) AS ?old)
      BIND ((YEAR(?d) - YEAR(?b2)) * 12 + MONTH(?d) - MONTH(?b2) - IF(DAY(?d) < DAY(?b2), 1, 0) AS ?young)
      BIND (YEAR(?d) - YEAR(?b1) - IF(MONTH(?d) < MONTH(?b1) || (MONTH(?d) = MONTH(?b1) && DAY(?d) < DAY(?b1)), 1, 0) AS ?oldYears)
      BIND (YEAR(?d) - YEAR(?b2) - IF(MONTH(?d) < MONTH(?b2) || (MONTH(?d) = MONTH(?b2) && DAY(?d) < DAY(?b2)), 1, 0) AS ?youngYears)
      OPTIONAL {
        ?table bk:band ?band .
        ?band bk:limit ?limit .
        OPTIONAL { ?band bk:fromAgeYears ?fromYears }
        OPTIONAL { ?band bk:fromAgeMonths ?fromMonths }
        OPTIONAL { ?band bk:belowAgeYears ?belowYears }
        OPTIONAL { ?band bk:belowAgeMonths ?belowMonths }
        OPTIONAL { ?band bk:bandGender ?bandGender }
        BIND (COALESCE(?fromMonths, ?fromYears * 12) AS ?from)
        BIND (COALESCE(?belowMonths, ?belowYears * 12) AS ?below)
        # A band the possible ages reach, for the sexes the patient can be (the OPTIONAL's condition).
        FILTER ((!BOUND(?from) || ?from <= ?old) && (!BOUND(?below) || ?young < ?below)
                && (!BOUND(?bandGender) || !BOUND(?gender) || !(?gender IN ("male", "female")) || ?gender = ?bandGender))
      }
      BIND (IF(BOUND(?band) && (!BOUND(?from) || ?from <= ?young) && (!BOUND(?below) || ?young < ?below), 1, 0) AS ?youngIn)
      BIND (IF(BOUND(?band) && (!BOUND(?from) || ?from <= ?old) && (!BOUND(?below) || ?old < ?below), 1, 0) AS ?oldIn)
    }
    GROUP BY ?record ?table ?patient ?young ?old ?youngYears ?oldYears
  }
  BIND (?youngCovered = 1 && ?oldCovered = 1 AS ?covered)
  # The age in words: months below 2 years, else completed years.
  BIND (IF(?young < 24, CONCAT(STR(?young), IF(?young = 1, " month", " months")), CONCAT(STR(?youngYears), " years")) AS ?youngText)
  BIND (IF(?old < 24, CONCAT(STR(?old), IF(?old = 1, " month", " months")), CONCAT(STR(?oldYears), " years")) AS ?oldText)
  OPTIONAL { ?patient bk:gender ?sex FILTER (?sex IN ("male", "female")) }
  BIND (EXISTS { ?table bk:band/bk:bandGender ?anySex } AS ?bySex)
  BIND (IF(?youngText = ?oldText, ?oldText,
           IF(?young >= 24, CONCAT(STR(?youngYears), " to ", ?oldText), CONCAT(?youngText, " to ", ?oldText))) AS ?range)
  BIND (CONCAT(?range,
               IF(?bySex, IF(BOUND(?sex), CONCAT(", ", ?sex), ", sex not recorded as male or female"), "")) AS ?ageText)
}
