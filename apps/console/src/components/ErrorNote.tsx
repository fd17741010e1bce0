import { ZlhApiError } from "@zlh/client";

/** An API refusal in plain words; a 403 says it is the token's scope, not a fault. */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  if (error instanceof ZlhApiError) {
    if (error.status === 403) {
      return (
        <p class="error" role="alert" data-code="forbidden">
          Not allowed with this token: {error.body.message}
        </p>
      );
    }
    return (
      <p class="error" role="alert" data-code={error.code}>
        {error.code}: {error.body.message}
      </p>
    );
  }
  return (
    <p class="error" role="alert">
      {error instanceof Error ? error.message : String(error)}
    </p>
  );
}
