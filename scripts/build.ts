/** `pnpm build`: the release into dist/ (see scripts/release/build.ts). */
import { ZLH_VERSION } from "@zlh/process";
import { buildRelease } from "./release/build";

const built = await buildRelease();
console.log(`built ${ZLH_VERSION}: ${built.controlPlane}, ${built.agent}, ${built.cli}`);
