import { commandBytes, MAX_COMMAND_BYTES } from "@zlh/domain";
import { invalidFields } from "./validationMessages";

/**
 * Refuses a console line longer than vanilla's RCON takes as a field the body's schema refused: 400
 * invalid_request naming `field` (`body.command`, `body.message`), on `POST /commands` and on a schedule alike.
 * A schema cannot say it: the bound is in UTF-8 bytes, of the line as sent (`prefix`: an announcement is `say <message>`).
 */
export function checkConsoleLine(field: string, value: string, prefix = ""): void {
  const bytes = commandBytes(prefix + value);
  if (bytes <= MAX_COMMAND_BYTES) return;
  const sent = prefix ? ` as \`${prefix}<${field.split(".").pop()}>\`` : "";
  throw invalidFields({ field, message: `is ${bytes} bytes in UTF-8${sent}; vanilla's RCON accepts at most ${MAX_COMMAND_BYTES}` });
}
