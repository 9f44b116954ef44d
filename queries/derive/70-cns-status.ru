# id: derive-cns-status
# summary: The CNS status (1, 2 or 3) a CSF finding states, as the lowest and highest it allows (issue 10, "CNS status at most CNS2"): a coded CNS status (NCIt C116833 CNS1, C116834 CNS2, C116835 CNS3: bk:cnsStatus on the concept), or a qualitative finding read by what its data element's polarity means (bk:negativeMeans / bk:positiveMeans: no blasts in the CSF is CNS1, blasts present CNS2 or CNS3). Only records of a value set some check reads a CNS status from (bk:maxCnsStatus); nothing when no trial has one.
# parameters: none
PREFIX bk: <https://w3id.org/blinakg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

INSERT { ?record bk:cnsStatusLowest ?lowest ; bk:cnsStatusHighest ?highest }
WHERE {
  SELECT ?record (MIN(?status) AS ?lowest) (MAX(?status) AS ?highest)
  WHERE {
    { SELECT DISTINCT ?set WHERE { ?check bk:maxCnsStatus ?max ; bk:valueSet ?set } }
    ?record bk:inValueSet ?set .
    {
      ?record bk:valueCode/(skos:exactMatch|^skos:exactMatch)* ?value .
      ?value bk:cnsStatus ?status .
    } UNION {
      ?record bk:polarity "negative" ; bk:code/(skos:exactMatch|^skos:exactMatch)* ?element .
      ?element bk:negativeMeans/bk:cnsStatus ?status .
      FILTER NOT EXISTS { ?record bk:valueCode/(skos:exactMatch|^skos:exactMatch)*/bk:cnsStatus ?coded }
    } UNION {
      ?record bk:polarity "positive" ; bk:code/(skos:exactMatch|^skos:exactMatch)* ?element .
      ?element bk:positiveMeans/bk:cnsStatus ?status .
      FILTER NOT EXISTS { ?record bk:valueCode/(skos:exactMatch|^skos:exactMatch)*/bk:cnsStatus ?coded }
    }
  }
  GROUP BY ?record
}
