# id: derive-polarity
# summary: Read qualitative results as positive or negative: a coded value the model gives a polarity (SNOMED positive/detected/negative/not detected, HL7 POS/NEG, CNS1-3), a string matching the model's free-text patterns (any case), or a boolean. Anything else has no polarity and reads as inconclusive.
# parameters: none
PREFIX bk: <https://w3id.org/blinakg/ontology#>

INSERT { ?record bk:polarity ?polarity }
WHERE {
  ?record a bk:Evidence .
  {
    ?record bk:valueCode ?value .
    ?value bk:polarity ?polarity .
  } UNION {
    ?record bk:valueString ?text .
    ?reading a bk:QualitativeReading ; bk:positivePattern ?pattern .
    FILTER (REGEX(?text, ?pattern, "i"))
    BIND ("positive" AS ?polarity)
  } UNION {
    ?record bk:valueString ?text .
    ?reading a bk:QualitativeReading ; bk:negativePattern ?pattern .
    FILTER (REGEX(?text, ?pattern, "i"))
    BIND ("negative" AS ?polarity)
  } UNION {
    ?record bk:valueBoolean ?flag .
    BIND (IF(?flag, "positive", "negative") AS ?polarity)
  }
}
