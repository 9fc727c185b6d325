// The web globals npm code expects, each checked from inside the engine.
export default async function () {
  const bytes = new TextEncoder().encode("héllo €𝄞");
  const url = new URL("/a/b?x=1&y=two%20words#frag", "https://user:pw@example.com:8443/base/");
  url.searchParams.append("z", "3");
  const params = new URLSearchParams({ q: "a b", n: "1" });
  const random = crypto.getRandomValues(new Uint8Array(16));
  const original = { when: new Date(0), list: [1, { deep: true }], map: new Map([["k", 1]]) };
  original.self = original;
  const copy = structuredClone(original);
  const order = [];
  setTimeout(() => order.push("timeout 20"), 20);
  setTimeout(() => order.push("timeout 0"), 0);
  queueMicrotask(() => order.push("microtask"));
  await new Promise((resolve) => setTimeout(resolve, 30));
  console.log("globals checked", { ok: true });
  return {
    utf8: Array.from(bytes).length,
    decoded: new TextDecoder().decode(bytes),
    url: {
      href: url.href,
      host: url.host,
      pathname: url.pathname,
      x: url.searchParams.get("x"),
      y: url.searchParams.get("y"),
      origin: url.origin,
    },
    invalidUrl: URL.canParse("not a url"),
    params: params.toString(),
    randomLength: random.length,
    randomVaries: random.some((b) => b !== random[0]),
    uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()),
    base64: btoa("hello"),
    unbase64: atob("aGVsbG8="),
    clone: {
      distinct: copy !== original && copy.list[1] !== original.list[1],
      cycle: copy.self === copy,
      date: copy.when instanceof Date && copy.when.getTime() === 0,
      map: copy.map.get("k"),
    },
    order,
    now: Date.now() > 1.7e12,
  };
}
