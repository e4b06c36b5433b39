import type { CatalogService } from "@tessera/contracts/catalog/v1";
import { ServiceError, type Client } from "@tessera/kit";
import { callerSignal } from "../request-context.ts";
import type { Api } from "./api.ts";
import { toProductJson } from "./product-json.ts";
import { getProductSchema, listProductsSchema } from "./product-schemas.ts";

/** The catalog as the products API calls it: the kit's typed client, or a fake of the same contract in tests. */
export type CatalogClient = Client<typeof CatalogService>;

/** `GET /api/v1/products` (list or search) and `GET /api/v1/products/:id`, backed by the catalog. */
export function productRoutes(app: Api, { catalog }: { catalog: CatalogClient }): void {
  app.get(
    "/api/v1/products",
    { config: { access: "public" }, schema: listProductsSchema },
    async (request) => {
      const { page_size: pageSize = 0, page_token: pageToken = "", category = "", q } = request.query;
      // The request's deadline travels in its context; the signal also stops the call when the handler times out.
      const options = { signal: callerSignal(request) };
      if (q === undefined) {
        const page = await catalog.listProducts({ pageSize, pageToken, category }, options);
        return { products: page.products.map(toProductJson), nextPageToken: page.nextPageToken };
      }
      if (category !== "") {
        throw new ServiceError(
          "invalid_argument",
          "category cannot be combined with q: search spans all categories",
        );
      }
      const page = await catalog.searchProducts({ query: q, pageSize, pageToken }, options);
      return { products: page.products.map(toProductJson), nextPageToken: page.nextPageToken };
    },
  );

  app.get(
    "/api/v1/products/:id",
    { config: { access: "public" }, schema: getProductSchema },
    async (request) => {
      const { product } = await catalog.getProduct(
        { id: request.params.id },
        { signal: callerSignal(request) },
      );
      if (!product) throw new ServiceError("internal", "catalog returned no product");
      return toProductJson(product);
    },
  );
}
