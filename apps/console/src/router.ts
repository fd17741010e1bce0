import { useEffect, useState } from "preact/hooks";

/** The console's pages, from the path under /ui/ (the control plane answers every such path with the page). */
export type Route = { page: "fleet" } | { page: "server"; id: string } | { page: "drift" } | { page: "missing"; path: string };

export function routeOf(pathname: string): Route {
  const rest = pathname.replace(/^\/ui\/?/, "").replace(/\/$/, "");
  if (rest === "") return { page: "fleet" };
  if (rest === "drift") return { page: "drift" };
  const server = /^servers\/([0-9a-f-]{36})$/.exec(rest);
  if (server) return { page: "server", id: server[1]! };
  return { page: "missing", path: rest };
}

export function navigate(path: string): void {
  history.pushState(null, "", `/ui/${path}`);
  dispatchEvent(new PopStateEvent("popstate"));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => routeOf(location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(routeOf(location.pathname));
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);
  return route;
}
