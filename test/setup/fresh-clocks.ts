import { beforeEach } from "vitest";
import { resetTestClocks } from "../helpers/test-app.js";

// Each test starts with every test clock of its file at the wall clock's now (test/helpers/test-app.ts).
beforeEach(() => {
  resetTestClocks();
});
