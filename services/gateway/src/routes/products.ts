import { callerSignal } from "../request-context.ts";
import type { FastifyInstance } from "fastify";
import type { CatalogService } from "@tessera/contracts/catalog/v1";
import { ServiceError, type Client } from "@tessera/kit";
import { toProductJson, type ProductJson } from "./product-json.ts";
import {
  getProductSchema,
  listProductsSchema,
  type ListProductsQuery,
  type ProductParams,
} from "./product-schemas.ts";

/** The catalog calls the products API makes; the kit's typed client, or a stand-in in tests. */
export type CatalogClient = Pick<
  Client<typeof CatalogService>,
  "listProducts" | "searchProducts" | "getProduct"
>;

interface ProductPageJson {
  products: ProductJson[];
  nextPageToken: string;
}

/** `GET /api/v1/products` (list or search) and `GET /api/v1/products/:id`, backed by the catalog. */
export function productRoutes(app: FastifyInstance, { catalog }: { catalog: CatalogClient }): void {
  app.get<{ Querystring: ListProductsQuery }>(
    "/api/v1/products",
    { schema: listProductsSchema },
    async (request): Promise<ProductPageJson> => {
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

  app.get<{ Params: ProductParams }>(
    "/api/v1/products/:id",
    { schema: getProductSchema },
    async (request): Promise<ProductJson> => {
      const { product } = await catalog.getProduct(
        { id: request.params.id },
        { signal: callerSignal(request) },
      );
      if (!product) throw new ServiceError("internal", "catalog returned no product");
      return toProductJson(product);
    },
  );
}
