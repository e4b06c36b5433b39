import type { CatalogService } from "@tessera/contracts/catalog/v1";
import { ServiceError, type Client } from "@tessera/kit";
import { callerSignal } from "../request-context.ts";
import type { Api } from "./api.ts";
import { toProductJson } from "./product-json.ts";
import { getProductSchema, listCategoriesSchema, listProductsSchema } from "./product-schemas.ts";
import { sendCacheable } from "./public-cache.ts";

/** The catalog as the products API calls it: the kit's typed client, or a fake of the same contract in tests. */
export type CatalogClient = Client<typeof CatalogService>;

/**
 * `GET /api/v1/products` (list or search), `GET /api/v1/products/:id` and `GET /api/v1/categories`,
 * backed by the catalog: public data, cacheable and revalidated by ETag (public-cache.ts).
 */
export function productRoutes(app: Api, { catalog }: { catalog: CatalogClient }): void {
  app.get(
    "/api/v1/categories",
    { config: { access: "public" }, schema: listCategoriesSchema },
    async (request, reply) => {
      const { categories } = await catalog.listCategories({}, { signal: callerSignal(request) });
      const body = {
        categories: categories.map(({ name, productCount }) => ({ name, productCount })),
      };
      return sendCacheable(request, reply, body);
    },
  );

  app.get(
    "/api/v1/products",
    { config: { access: "public" }, schema: listProductsSchema },
    async (request, reply) => {
      const { page_size: pageSize = 0, page_token: pageToken = "", category = "", q } = request.query;
      // The request's deadline travels in its context; the signal also stops the call when the handler times out.
      const options = { signal: callerSignal(request) };
      if (q === undefined) {
        const page = await catalog.listProducts({ pageSize, pageToken, category }, options);
        const body = { products: page.products.map(toProductJson), nextPageToken: page.nextPageToken };
        return sendCacheable(request, reply, body);
      }
      if (category !== "") {
        throw new ServiceError(
          "invalid_argument",
          "category cannot be combined with q: search spans all categories",
        );
      }
      const page = await catalog.searchProducts({ query: q, pageSize, pageToken }, options);
      const body = { products: page.products.map(toProductJson), nextPageToken: page.nextPageToken };
      return sendCacheable(request, reply, body);
    },
  );

  app.get(
    "/api/v1/products/:id",
    { config: { access: "public" }, schema: getProductSchema },
    async (request, reply) => {
      const { product } = await catalog.getProduct(
        { id: request.params.id },
        { signal: callerSignal(request) },
      );
      if (!product) throw new ServiceError("internal", "catalog returned no product");
      return sendCacheable(request, reply, toProductJson(product));
    },
  );
}
