import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";

/** The observability variables of src/config.ts. */
describe("metrics and tracing configuration", () => {
  it("leaves /metrics open on the main port and tracing off by default", () => {
    const config = loadConfig({});
    expect(config.metrics).toEqual({ token: undefined, port: undefined });
    expect(config.tracing).toBeUndefined();
    expect(config.logFormat).toBeUndefined();
  });

  it("takes METRICS_TOKEN and METRICS_PORT", () => {
    const config = loadConfig({ METRICS_TOKEN: "0123456789abcdef", METRICS_PORT: "9464" });
    expect(config.metrics).toEqual({ token: "0123456789abcdef", port: 9464 });
  });

  it("refuses a short METRICS_TOKEN, a bad METRICS_PORT and METRICS_PORT equal to PORT", () => {
    expect(() => loadConfig({ METRICS_TOKEN: "short" })).toThrow(/^METRICS_TOKEN: must be at least 16 characters/);
    expect(() => loadConfig({ METRICS_PORT: "http" })).toThrow(/^METRICS_PORT:/);
    expect(() => loadConfig({ METRICS_PORT: "70000" })).toThrow(/^METRICS_PORT:/);
    expect(() => loadConfig({ PORT: "8080", METRICS_PORT: "8080" })).toThrow(/^METRICS_PORT: must differ from PORT/);
  });

  it("exports traces to OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces, as auth-service unless OTEL_SERVICE_NAME says otherwise", () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }).tracing).toEqual({
      tracesUrl: "http://collector:4318/v1/traces",
      serviceName: "auth-service",
      headers: {},
    });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://otel.example.com", OTEL_SERVICE_NAME: "auth-eu" }).tracing).toMatchObject({
      tracesUrl: "https://otel.example.com/v1/traces",
      serviceName: "auth-eu",
    });
  });

  it("uses OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, and parses OTEL_EXPORTER_OTLP_HEADERS", () => {
    const config = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://ignored:4318",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/custom/traces",
      OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=abc%3D%3D, X-Tenant=eu",
    });
    expect(config.tracing).toMatchObject({ tracesUrl: "http://collector:4318/custom/traces", headers: { "x-api-key": "abc==", "x-tenant": "eu" } });
  });

  it("turns tracing off with OTEL_SDK_DISABLED and refuses bad values", () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_SDK_DISABLED: "true" }).tracing).toBeUndefined();
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" })).toThrow(/^OTEL_EXPORTER_OTLP_ENDPOINT:/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_HEADERS: "no-equals-sign" })).toThrow(
      /^OTEL_EXPORTER_OTLP_HEADERS:/,
    );
  });
});
