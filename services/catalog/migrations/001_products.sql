-- Products of the catalog. Money is integer minor units plus an ISO 4217 currency.

-- array_to_string is only STABLE; for text[] it never changes, so an immutable wrapper lets the
-- search vector be a generated column.
CREATE FUNCTION categories_text(categories text[]) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT array_to_string(categories, ' ') $$;

CREATE TABLE products (
  id          uuid PRIMARY KEY,
  sku         text NOT NULL UNIQUE CHECK (sku ~ '^[A-Z0-9][A-Z0-9-]{1,63}$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '',
  price_minor bigint NOT NULL CHECK (price_minor >= 0),
  currency    char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  categories  text[] NOT NULL DEFAULT '{}',
  image_url   text NOT NULL DEFAULT '',
  attributes  jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(attributes) = 'object'),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  -- Name weighs most, then categories, then the description.
  search      tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('english', name), 'A') ||
                setweight(to_tsvector('english', categories_text(categories)), 'B') ||
                setweight(to_tsvector('english', description), 'C')
              ) STORED,
  -- Names word for word, stop words included, so "down jacket" puts the down jacket first.
  name_search tsvector GENERATED ALWAYS AS (to_tsvector('simple', name)) STORED
);

-- Keyset paging walks (name, id).
CREATE INDEX products_name_id ON products (name, id);
CREATE INDEX products_categories ON products USING gin (categories);
CREATE INDEX products_search ON products USING gin (search);
CREATE INDEX products_name_search ON products USING gin (name_search);
