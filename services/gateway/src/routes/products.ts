import type { CatalogService, Product } from "@tessera/contracts/catalog/v1";
import { ServiceError, type Client } from "@tessera/kit";
import { callerSignal } from "../request-context.ts";
import type { Api } from "./api.ts";
import type { Links } from "./links.ts";
import { toProductJson } from "./product-json.ts";
import { getProductSchema, listCategoriesSchema, listProductsSchema } from "./product-schemas.ts";
import type { ProductCache } from "../product-cache.ts";
import { answerCached } from "./public-cache.ts";

/** The catalog as the products API calls it: the kit's typed client, or a fake of the same contract in tests. */
export type CatalogClient = Client<typeof CatalogService>;

/**
 * `GET /api/v1/products` (list or search), `GET /api/v1/products/:id` and `GET /api/v1/categories`,
 * backed by the catalog: public data, cacheable and revalidated by ETag (public-cache.ts), and
 * answered from the gateway's own cache when it is on (product-cache.ts).
 */
export function productRoutes(
  app: Api,
  { catalog, links, cache }: { catalog: CatalogClient; links: Links; cache?: ProductCache },
): void {
  app.get(
    "/api/v1/categories",
    { config: { access: "public" }, schema: listCategoriesSchema },
    async (request, reply) =>
      answerCached(request, reply, cache, ["page", request.url], async () => {
        const { categories } = await catalog.listCategories({}, { signal: callerSignal(request) });
        return { categories: categories.map(({ name, productCount }) => ({ name, productCount })) };
      }),
  );

  app.get(
    "/api/v1/products",
    { config: { access: "public" }, schema: listProductsSchema },
    async (request, reply) => {
      const { page_size: pageSize = 0, page_token: pageToken = "", category = "", q } = request.query;
      // The request's deadline travels in its context; the signal also stops the call when the handler times out.
      const options = { signal: callerSignal(request) };
      if (q !== undefined && category !== "") {
        throw new ServiceError(
          "invalid_argument",
          "category cannot be combined with q: search spans all categories",
        );
      }
      const json = (page: { products: Product[]; nextPageToken: string }) => ({
        products: page.products.map(toProductJson),
        nextPageToken: page.nextPageToken,
        next: links.next(request, reply, page.nextPageToken),
      });
      return answerCached(request, reply, cache, ["page", request.url], async () =>
        json(
          q === undefined
            ? await catalog.listProducts({ pageSize, pageToken, category }, options)
            : await catalog.searchProducts({ query: q, pageSize, pageToken }, options),
        ),
      );
    },
  );

  app.get(
    "/api/v1/products/:id",
    { config: { access: "public" }, schema: getProductSchema },
    async (request, reply) =>
      answerCached(request, reply, cache, ["product", request.params.id.toLowerCase()], async () => {
        const { product } = await catalog.getProduct(
          { id: request.params.id },
          { signal: callerSignal(request) },
        );
        if (!product) throw new ServiceError("internal", "catalog returned no product");
        return toProductJson(product);
      }),
  );
}
