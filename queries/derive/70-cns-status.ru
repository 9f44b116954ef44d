# id: derive-cns-status
# summary: The CNS status (1, 2 or 3) a CSF finding states, as the lowest and highest it allows (issue 10, "CNS status at most CNS2"): a coded CNS status (NCIt C116833 CNS1, C116834 CNS2, C116835 CNS3: bk:cnsStatus on the concept, or a code mapped to one by skos:exactMatch), else a qualitative finding read by what its data element's polarity means (bk:negativeMeans / bk:positiveMeans: no blasts in the CSF is CNS1, blasts present CNS2 or CNS3). Only records of a value set some check reads a CNS status from (bk:maxCnsStatus); nothing when no trial has one.
# parameters: none
PREFIX bk: <https://w3id.org/blinakg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

# The few records and the few concepts first, each in its own sub-select, so that no
# mapping path is walked from every record of the cohort (measured: 17 s for 200
# patients when the paths started from the records, a few milliseconds this way).
INSERT { ?record bk:cnsStatusLowest ?lowest ; bk:cnsStatusHighest ?highest }
WHERE {
  SELECT ?record (MIN(?status) AS ?lowest) (MAX(?status) AS ?highest)
  WHERE {
    { SELECT DISTINCT ?record WHERE { ?check bk:maxCnsStatus ?max ; bk:valueSet ?set . ?record bk:inValueSet ?set } }
    { SELECT ?code ?status WHERE {
        { ?code bk:cnsStatus ?status }
        UNION { ?concept bk:cnsStatus ?status . ?code (skos:exactMatch|^skos:exactMatch)+ ?concept }
    } }
    ?record bk:valueCode ?code .
  }
  GROUP BY ?record
} ;

INSERT { ?record bk:cnsStatusLowest ?lowest ; bk:cnsStatusHighest ?highest }
WHERE {
  SELECT ?record (MIN(?status) AS ?lowest) (MAX(?status) AS ?highest)
  WHERE {
    { SELECT DISTINCT ?record WHERE { ?check bk:maxCnsStatus ?max ; bk:valueSet ?set . ?record bk:inValueSet ?set } }
    { SELECT ?element ?polarity ?status WHERE {
        { ?element bk:negativeMeans/bk:cnsStatus ?status BIND ("negative" AS ?polarity) }
        UNION { ?element bk:positiveMeans/bk:cnsStatus ?status BIND ("positive" AS ?polarity) }
        UNION { ?meaning bk:negativeMeans/bk:cnsStatus ?status . ?element (skos:exactMatch|^skos:exactMatch)+ ?meaning
                BIND ("negative" AS ?polarity) }
        UNION { ?meaning bk:positiveMeans/bk:cnsStatus ?status . ?element (skos:exactMatch|^skos:exactMatch)+ ?meaning
                BIND ("positive" AS ?polarity) }
    } }
    ?record bk:polarity ?polarity ; bk:code ?element .
    # A coded status (the update above) is what the finding states; its polarity adds nothing.
    FILTER NOT EXISTS { ?record bk:cnsStatusLowest ?coded }
  }
  GROUP BY ?record
}
