-- Categories are matched case-insensitively: stored lower-case, one spelling each, first
-- occurrence kept in place. The GIN index on categories serves the lower-cased filter as before.
UPDATE products
   SET categories = ARRAY(
         SELECT lower(btrim(category))
           FROM unnest(categories) WITH ORDINALITY AS t(category, position)
          GROUP BY lower(btrim(category))
          ORDER BY min(position))
 WHERE categories IS DISTINCT FROM ARRAY(SELECT lower(btrim(c)) FROM unnest(categories) AS c);
