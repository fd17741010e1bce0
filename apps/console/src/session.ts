/**
 * Where the console keeps the token: this tab's sessionStorage (gone when
 * the tab closes, never sent anywhere by the browser on its own, never in a
 * URL), so a reload does not sign out. Nothing else is stored.
 */
const KEY = "zlh.console.token";

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, token);
  } catch {
    // Storage refused (a private window's quota): the token lives in memory only, which is stricter.
  }
}
