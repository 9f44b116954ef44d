# id: derive-value-sets
# summary: Place each evidence record in the value sets its codes fall in: a concept listed by the set or under it in the model's hierarchy (skos:broader, skos:exactMatch), or a code matched by a code rule (prefix range or pattern); minus exclusions (concepts, code rules, other value sets). Codes are classified once (there are far fewer codes than records), then records follow their codes. The last operation computes every set whose excluded sets are already computed; the caller repeats the file until no set is left.
# parameters: none
PREFIX bk: <https://w3id.org/blinakg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

# Codes a value set includes.
INSERT { ?code bk:codeInValueSet ?valueSet }
WHERE {
  {
    ?valueSet bk:includesConcept ?top .
    ?code (skos:broader|skos:exactMatch|^skos:exactMatch)* ?top .
    FILTER EXISTS { ?anyRecord bk:code ?code }
  } UNION {
    # ?code is bound inside the branch: a FILTER does not see variables bound outside it.
    { SELECT DISTINCT ?code WHERE { ?anyRecord bk:code ?code } }
    ?valueSet bk:includesCodes ?rule .
    ?rule bk:codeSystem/bk:iriPrefix ?prefix .
    FILTER (STRSTARTS(STR(?code), ?prefix))
    BIND (STRAFTER(STR(?code), ?prefix) AS ?notation)
    OPTIONAL { ?rule bk:codeFrom ?from ; bk:codeTo ?to }
    OPTIONAL { ?rule bk:codePattern ?pattern }
    FILTER ((BOUND(?from) && SUBSTR(?notation, 1, STRLEN(?from)) >= ?from && SUBSTR(?notation, 1, STRLEN(?to)) <= ?to)
            || (BOUND(?pattern) && REGEX(?notation, ?pattern)))
  }
} ;

# Codes a value set excludes.
INSERT { ?code bk:codeExcludedFrom ?valueSet }
WHERE {
  {
    ?valueSet bk:excludesConcept ?excluded .
    ?code (skos:broader|skos:exactMatch|^skos:exactMatch)* ?excluded .
    FILTER EXISTS { ?anyRecord bk:code ?code }
  } UNION {
    { SELECT DISTINCT ?code WHERE { ?anyRecord bk:code ?code } }
    ?valueSet bk:excludesCodes ?rule .
    ?rule bk:codeSystem/bk:iriPrefix ?prefix .
    FILTER (STRSTARTS(STR(?code), ?prefix))
    BIND (STRAFTER(STR(?code), ?prefix) AS ?notation)
    OPTIONAL { ?rule bk:codeFrom ?from ; bk:codeTo ?to }
    OPTIONAL { ?rule bk:codePattern ?pattern }
    FILTER ((BOUND(?from) && SUBSTR(?notation, 1, STRLEN(?from)) >= ?from && SUBSTR(?notation, 1, STRLEN(?to)) <= ?to)
            || (BOUND(?pattern) && REGEX(?notation, ?pattern)))
  }
} ;

# Records: some code included, no code excluded, not in an excluded value set.
# The sets ready in this round are found first (a few dozen), then their
# records; MINUS rather than a correlated FILTER NOT EXISTS, which pyoxigraph
# evaluates record by record (both are bound, so the two mean the same here).
INSERT { ?record bk:inValueSet ?valueSet }
WHERE {
  {
    SELECT ?valueSet WHERE {
      ?valueSet a bk:ValueSet .
      FILTER NOT EXISTS { ?valueSet bk:membershipComputed true }
      FILTER NOT EXISTS { ?valueSet bk:excludesValueSet ?pending . FILTER NOT EXISTS { ?pending bk:membershipComputed true } }
    }
  }
  ?code bk:codeInValueSet ?valueSet .
  ?record bk:code ?code ; a bk:Evidence .
  MINUS { ?record bk:code ?other . ?other bk:codeExcludedFrom ?valueSet }
  MINUS { ?valueSet bk:excludesValueSet ?otherSet . ?record bk:inValueSet ?otherSet }
} ;

INSERT { ?valueSet bk:membershipComputed true }
WHERE {
  ?valueSet a bk:ValueSet .
  FILTER NOT EXISTS { ?valueSet bk:membershipComputed true }
  FILTER NOT EXISTS { ?valueSet bk:excludesValueSet ?pending . FILTER NOT EXISTS { ?pending bk:membershipComputed true } }
}
