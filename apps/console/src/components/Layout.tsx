import { useApi } from "../context";
import { useRoute } from "../router";
import { DriftPage } from "./DriftPage";
import { FleetPage } from "./FleetPage";
import { Link } from "./Link";
import { ServerPage } from "./ServerPage";

/** The signed-in frame: the navigation, who is signed in with what scope, and the page of the path. */
export function Layout({ onSignOut }: { onSignOut: () => void }) {
  const api = useApi();
  const route = useRoute();
  return (
    <>
      <header class="top">
        <strong>ZeroLagHub</strong>
        <nav>
          <Link to="">Fleet</Link>
          <Link to="drift">Drift</Link>
        </nav>
        <span class="caller" data-scope={api.caller.scope}>
          {api.caller.client} ({api.caller.scope})
        </span>
        <button type="button" onClick={onSignOut}>Sign out</button>
      </header>
      <main>
        {route.page === "fleet" && <FleetPage />}
        {route.page === "server" && <ServerPage key={route.id} id={route.id} />}
        {route.page === "drift" && <DriftPage />}
        {route.page === "missing" && <p class="notice">No page at /ui/{route.path}.</p>}
      </main>
    </>
  );
}
