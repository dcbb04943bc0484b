// Two tiers, both run by `npm test`:
//   unit    pure modules and components under Pulumi mocks (seconds)
//   engine  the real Pulumi engine and Docker on this machine (minutes)
/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: "unit",
      preset: "ts-jest",
      testEnvironment: "node",
      testMatch: ["<rootDir>/tests/unit/**/*.test.ts"],
    },
    {
      displayName: "engine",
      preset: "ts-jest",
      testEnvironment: "node",
      testMatch: ["<rootDir>/tests/engine/**/*.test.ts"],
      // One Docker engine, one state backend: engine tests run one at a time.
      maxWorkers: 1,
    },
  ],
};
