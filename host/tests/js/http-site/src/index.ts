// A TS function answering its routes the web way (`export default { fetch }`), calling out with
// `fetch` and with an npm client built on it (ofetch), for tests/js_http.rs.
import { ofetch } from "ofetch";

interface Context {
  params: Record<string, string>;
  route: string;
}

async function outbound(url: string): Promise<Response> {
  try {
    const response = await fetch(url, { headers: { "x-from": "js" } });
    return Response.json({ status: response.status, body: await response.text() });
  } catch (error) {
    const e = error as Error;
    return Response.json({ error: e.name, message: e.message }, { status: 502 });
  }
}

export default {
  async fetch(request: Request, { params, route }: Context): Promise<Response> {
    const url = new URL(request.url);
    switch (route) {
      case "GET /js/page":
        return new Response("<!doctype html><h1>Hello from TS</h1>", {
          status: 201,
          headers: [
            ["content-type", "text/html; charset=utf-8"],
            ["set-cookie", "a=1; Path=/"],
            ["set-cookie", "b=2; Path=/"],
            ["x-wasmfn-test", "ts"],
          ],
        });
      case "GET /js/hello/{name}":
        return Response.json({
          method: request.method,
          name: params.name,
          q: url.searchParams.get("q"),
          accept: request.headers.get("accept"),
        });
      case "POST /js/echo":
        return new Response(await request.arrayBuffer(), {
          headers: { "content-type": request.headers.get("content-type") ?? "application/octet-stream" },
        });
      case "POST /js/form": {
        const form = await request.formData();
        const fields: Record<string, unknown> = {};
        for (const [key, value] of form) {
          fields[key] =
            typeof value === "string" ? value : { name: value.name, type: value.type, size: value.size, text: await value.text() };
        }
        return Response.json(fields);
      }
      case "GET /js/fetch":
        return outbound(url.searchParams.get("url") ?? "");
      case "GET /js/ofetch": {
        const data = await ofetch<{ greeting: string }>(url.searchParams.get("url") ?? "", {
          method: "POST",
          body: { name: "ofetch" },
        });
        return Response.json({ via: "ofetch", data });
      }
      case "GET /js/bad-status":
        return new Response("x", { status: Number(url.searchParams.get("status")) });
      case "GET /js/not-a-response":
        return { status: 200 } as unknown as Response;
      default:
        return new Response(`no handler for ${route}`, { status: 404 });
    }
  },
};
