// The values globalSetup.ts provides to every test file (see there).
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
  }
}
