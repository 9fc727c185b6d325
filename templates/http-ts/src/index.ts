import { log, type FetchHandler } from "wasmfn";

// An HTTP function, the way Workers and Deno write one: a web Request in, a Response out.
const handler: FetchHandler = {
  async fetch(request, { params }) {
    if (request.method === "POST") {
      const form = await request.formData();
      return Response.json({ received: Object.fromEntries(form) }, { status: 201 });
    }
    const name = params.name ?? new URL(request.url).searchParams.get("name") ?? "world";
    log.info(`greeting ${name}`);
    return new Response(`<!doctype html><h1>Hello, ${escape(name)}!</h1>`, {
      headers: { "content-type": "text/html; charset=utf-8" },
    });
  },
};

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export default handler;
