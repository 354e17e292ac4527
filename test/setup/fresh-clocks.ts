import { beforeEach } from "vitest";
import { resetTestClocks } from "../helpers/test-clock.js";

// Each test starts with every test clock of its file at the wall clock's now (test/helpers/test-clock.ts).
beforeEach(() => {
  resetTestClocks();
});
