import { CatalogService } from "@tessera/contracts/catalog/v1";
import { ServiceError } from "@tessera/kit";
import { describe, expect, it } from "vitest";
import { createFakeClient } from "./fake-client.ts";

describe("a fake client built from a contract", () => {
  it("has every method of the contract, failing those it was given no answer for as UNIMPLEMENTED", async () => {
    const { client, calls } = createFakeClient(CatalogService);
    const failure = client.batchGetProducts({ ids: ["x"] });
    await expect(failure).rejects.toThrow(ServiceError);
    await expect(failure).rejects.toMatchObject({
      code: "internal",
      message: /BatchGetProducts is UNIMPLEMENTED/,
    });
    expect(calls).toMatchObject([{ method: "batchGetProducts", request: { ids: ["x"] } }]);
  });

  it("hands answers the request with defaults filled in, and makes what they return a message", async () => {
    const { client } = createFakeClient(CatalogService, {
      listProducts: (request) => ({ nextPageToken: `${request.category}|${request.pageSize}` }),
    });
    expect(await client.listProducts({})).toEqual({
      $typeName: "tessera.catalog.v1.ListProductsResponse",
      products: [],
      nextPageToken: "|0",
    });
  });

  it("answers differently from an override on", async () => {
    const fake = createFakeClient(CatalogService, { listProducts: () => ({ nextPageToken: "a" }) });
    fake.override({ listProducts: () => ({ nextPageToken: "b" }) });
    expect((await fake.client.listProducts({})).nextPageToken).toBe("b");
  });
});
