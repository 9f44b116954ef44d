# id: derive-value-sets
# summary: Place each evidence record in the value sets its codes fall in: a concept listed by the set or under it in the model's hierarchy (skos:broader, skos:exactMatch), or a code matched by a code rule (prefix range or pattern); minus exclusions (concepts, code rules, other value sets). One run computes every set whose excluded sets are already computed; the caller repeats it until no set is left.
# parameters: none
PREFIX bk: <https://w3id.org/blinakg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

INSERT { ?record bk:inValueSet ?valueSet }
WHERE {
  ?valueSet a bk:ValueSet .
  FILTER NOT EXISTS { ?valueSet bk:membershipComputed true }
  FILTER NOT EXISTS { ?valueSet bk:excludesValueSet ?pending . FILTER NOT EXISTS { ?pending bk:membershipComputed true } }
  {
    ?valueSet bk:includesConcept ?top .
    ?code (skos:broader|skos:exactMatch|^skos:exactMatch)* ?top .
    ?record bk:code ?code ; a bk:Evidence .
  } UNION {
    ?valueSet bk:includesCodes ?rule .
    ?rule bk:codeSystem/bk:iriPrefix ?prefix .
    ?record bk:code ?code ; a bk:Evidence .
    FILTER (STRSTARTS(STR(?code), ?prefix))
    BIND (STRAFTER(STR(?code), ?prefix) AS ?notation)
    OPTIONAL { ?rule bk:codeFrom ?from ; bk:codeTo ?to }
    OPTIONAL { ?rule bk:codePattern ?pattern }
    FILTER ((BOUND(?from) && SUBSTR(?notation, 1, STRLEN(?from)) >= ?from && SUBSTR(?notation, 1, STRLEN(?to)) <= ?to)
            || (BOUND(?pattern) && REGEX(?notation, ?pattern)))
  }
  # An exclusion on any of the record's codes keeps the whole record out.
  FILTER NOT EXISTS {
    ?record bk:code ?other .
    ?valueSet bk:excludesConcept ?excluded .
    ?other (skos:broader|skos:exactMatch|^skos:exactMatch)* ?excluded .
  }
  FILTER NOT EXISTS {
    ?record bk:code ?other .
    ?valueSet bk:excludesCodes ?xrule .
    ?xrule bk:codeSystem/bk:iriPrefix ?xprefix .
    FILTER (STRSTARTS(STR(?other), ?xprefix))
    BIND (STRAFTER(STR(?other), ?xprefix) AS ?xnotation)
    OPTIONAL { ?xrule bk:codeFrom ?xfrom ; bk:codeTo ?xto }
    OPTIONAL { ?xrule bk:codePattern ?xpattern }
    FILTER ((BOUND(?xfrom) && SUBSTR(?xnotation, 1, STRLEN(?xfrom)) >= ?xfrom && SUBSTR(?xnotation, 1, STRLEN(?xto)) <= ?xto)
            || (BOUND(?xpattern) && REGEX(?xnotation, ?xpattern)))
  }
  FILTER NOT EXISTS { ?valueSet bk:excludesValueSet ?otherSet . ?record bk:inValueSet ?otherSet }
} ;

INSERT { ?valueSet bk:membershipComputed true }
WHERE {
  ?valueSet a bk:ValueSet .
  FILTER NOT EXISTS { ?valueSet bk:membershipComputed true }
  FILTER NOT EXISTS { ?valueSet bk:excludesValueSet ?pending . FILTER NOT EXISTS { ?pending bk:membershipComputed true } }
}
