import type { ComponentChildren } from "preact";
import { navigate } from "../router";

/** A link inside the console: the page changes without a reload (the live streams of the old page end). */
export function Link({ to, children, class: className }: { to: string; children: ComponentChildren; class?: string }) {
  return (
    <a
      href={`/ui/${to}`}
      class={className}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}
