/** The string rules sops applies around KMS keys: ARN region, STS session name, SOPS_KMS_ARN. */
import { describe, expect, it } from "vitest"
import { kmsArnRegion, kmsKeysFromEnvironment, stsSessionName } from "@sops-ts/aws-kms"

describe("kmsArnRegion", () => {
  it("takes the region from key and alias ARNs in every partition", () => {
    expect(kmsArnRegion("arn:aws:kms:us-west-2:107501996527:key/612d5f0p-p1l3-45e6-aca6-a5b005693a48")).toBe("us-west-2")
    expect(kmsArnRegion("arn:aws:kms:eu-west-1:111122223333:alias/sops")).toBe("eu-west-1")
    expect(kmsArnRegion("arn:aws-cn:kms:cn-north-1:111122223333:key/abc")).toBe("cn-north-1")
    expect(kmsArnRegion("arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/abc")).toBe("us-gov-west-1")
    // Go's "." takes "\r" (a bare JavaScript "." does not): sops passes such a region on as it is.
    expect(kmsArnRegion("arn:aws:kms:eu\r-west-1:111122223333:key/a\r")).toBe("eu\r-west-1")
    expect(kmsArnRegion("arn:aws:kms:eu-west-1:111122223333:key/a\n")).toBeNull()
  })

  it("rejects what sops' pattern rejects", () => {
    expect(kmsArnRegion("arn:aws:s3:::bucket")).toBeNull()
    expect(kmsArnRegion("arn:aws:kms:us-east-1:acct:key/abc")).toBeNull()
    expect(kmsArnRegion("arn:aws:kms:us-east-1:111122223333:grant/abc")).toBeNull()
    expect(kmsArnRegion("612d5f0p-p1l3-45e6-aca6-a5b005693a48")).toBeNull()
  })

  it("is greedy like Go's regexp: the region runs up to the last ':<digits>:key/'", () => {
    expect(kmsArnRegion("arn:aws:kms:a:1:b:2:key/x")).toBe("a:1:b")
  })
})

describe("stsSessionName", () => {
  it("is sops@ plus the hostname without characters outside [a-zA-Z0-9=,.@-_]", () => {
    expect(stsSessionName("build01.example.com")).toBe("sops@build01.example.com")
    expect(stsSessionName("my host#1 (ci)")).toBe("sops@myhost1ci")
    expect(stsSessionName("h\u00e9te")).toBe("sops@hte")
  })

  it("keeps what sops keeps: '@-_' is a range, so [ \\ ] ^ survive and '-' does not", () => {
    // 0x40-0x5F: @ A-Z [ \ ] ^ _ — the hyphen (0x2D) is outside the range and not listed alone.
    expect(stsSessionName("a[b]c^d_e\\f")).toBe("sops@a[b]c^d_e\\f")
    expect(stsSessionName("a-b")).toBe("sops@ab")
  })

  it("truncates to 64 characters", () => {
    expect(stsSessionName("x".repeat(100))).toBe("sops@" + "x".repeat(59))
    expect(stsSessionName("x".repeat(59))).toHaveLength(64)
  })
})

describe("kmsKeysFromEnvironment", () => {
  it("parses SOPS_KMS_ARN like --kms: spaces removed, +role split, context and profile applied", () => {
    const keys = kmsKeysFromEnvironment(
      {
        SOPS_KMS_ARN:
          "arn:aws:kms:us-east-1:111122223333:key/a, arn:aws:kms:eu-west-1:111122223333:alias/b+arn:aws:iam::111122223333:role/r",
      },
      { context: { app: "x" }, awsProfile: "prod", now: () => new Date("2024-05-01T12:00:00.900Z") },
    )
    expect(keys).toEqual([
      { type: "kms", arn: "arn:aws:kms:us-east-1:111122223333:key/a", role: "", context: { app: "x" }, awsProfile: "prod", enc: "", createdAt: "2024-05-01T12:00:00Z" },
      {
        type: "kms",
        arn: "arn:aws:kms:eu-west-1:111122223333:alias/b",
        role: "arn:aws:iam::111122223333:role/r",
        context: { app: "x" },
        awsProfile: "prod",
        enc: "",
        createdAt: "2024-05-01T12:00:00Z",
      },
    ])
  })

  it("unset or empty means no keys; a bad ARN is ERR_INVALID_ARGUMENT", () => {
    expect(kmsKeysFromEnvironment({})).toEqual([])
    expect(kmsKeysFromEnvironment({ SOPS_KMS_ARN: "" })).toEqual([])
    expect(() => kmsKeysFromEnvironment({ SOPS_KMS_ARN: "not-an-arn" })).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }))
  })
})
