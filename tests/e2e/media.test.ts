import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { RequestView } from "@wsspaces/protocol";
import { makeWav } from "../../packages/worker/src/mock-media.js";
import { uniqueName } from "../helpers/server.js";
import { connectionStatus, screenshot, startMockWorker } from "./browser.js";
import { browserSuite } from "./suite.js";

/** The parts of the DOM elements used here (the tests compile without the DOM library). */
interface ImageLike {
  naturalWidth: number;
  decode(): Promise<void>;
}
interface VideoLike {
  readyState: number;
  videoWidth: number;
  videoHeight: number;
  addEventListener(type: "loadedmetadata", listener: () => void, options: { once: boolean }): void;
}
interface AudioLike {
  muted: boolean;
  currentTime: number;
  duration: number;
  play(): Promise<void>;
  pause(): void;
  addEventListener(type: "timeupdate", listener: () => void): void;
  removeEventListener(type: "timeupdate", listener: () => void): void;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Files in the browser: an uploaded recording reaches the worker intact; media come back and play. */
describe("media in the browser", () => {
  const suite = browserSuite();

  it("uploads audio that the worker receives byte for byte, then shows the picture and plays the sound it returns", { timeout: 90_000 }, async () => {
    const { space, token } = await suite.server.space({ name: uniqueName("Voice"), inputs: ["prompt", "audio"] });
    suite.keep(await startMockWorker(suite.server.url, token, space.name, { minMs: 0 }));
    const { user, page } = await suite.signedIn();
    await page.goto(`/spaces/${space.id}`);
    await connectionStatus(page).getByText("✓ Connected (1 worker)").waitFor();

    const wav = makeWav(523, 1);
    await page.getByLabel("Prompt").fill("draw what you hear and say it back");
    await page.getByLabel("Audio file").setInputFiles({ name: "recording.wav", mimeType: "audio/wav", buffer: wav });
    await page.getByRole("button", { name: "Send" }).click();

    const panel = page.getByTestId("request-panel");
    await panel.getByText("Completed").waitFor({ timeout: 30_000 });
    // Our upload is listed with the request…
    await panel.getByTestId("request-inputs").getByRole("link", { name: "recording.wav" }).waitFor();
    // …and reached the worker intact: the mock hashed what it downloaded.
    const requestId = (await panel.locator("code").first().textContent()) ?? "";
    const view = (await user.get<RequestView & { result: { files_received: { sha256: string; sha256_ok: boolean }[] } }>(`/api/v1/requests/${requestId}`)).body;
    expect(view.result.files_received).toEqual([expect.objectContaining({ sha256: sha256(wav), sha256_ok: true })]);

    // The picture is shown (decoded: it has a size) and the sound loads and plays.
    const media = panel.getByTestId("result-media");
    const picture = media.getByRole("img", { name: /mock-picture\.png/ });
    await picture.waitFor();
    // decode() settles once the image is decoded (and rejects if it cannot be).
    expect(await picture.evaluate(async (el: ImageLike) => (await el.decode(), el.naturalWidth))).toBe(160);
    const audio = media.locator("audio");
    expect(await audio.getAttribute("src")).toMatch(/^\/api\/v1\/files\/fil_/);
    const duration = await audio.evaluate(async (el: AudioLike) => {
      el.muted = true;
      // Playing: time moves past 0.2 s (timeupdate fires as it does).
      const played = new Promise<void>((resolve) => {
        const onTime = () => {
          if (el.currentTime <= 0.2) return;
          el.removeEventListener("timeupdate", onTime);
          resolve();
        };
        el.addEventListener("timeupdate", onTime);
      });
      await el.play();
      await played;
      el.pause();
      return el.duration;
    });
    expect(duration).toBeCloseTo(1.5, 1);
    await screenshot(page, "space-media");
  });

  it("says in words when a file is too large or of the wrong kind, before and after sending", async () => {
    const { space, token } = await suite.server.space({ name: uniqueName("Strict"), inputs: ["audio"], max_file_mb: 1 });
    suite.keep(await startMockWorker(suite.server.url, token, space.name, { minMs: 0 }));
    const { page } = await suite.signedIn();
    await page.goto(`/spaces/${space.id}`);
    await connectionStatus(page).getByText("✓ Connected (1 worker)").waitFor();

    // Checked in the page first: nothing is sent.
    await page.getByLabel("Audio file").setInputFiles({ name: "long.wav", mimeType: "audio/wav", buffer: Buffer.alloc(2 * 1024 * 1024) });
    await page.getByText("“long.wav” is larger than this space's limit of 1 MB per file.").waitFor();
    await page.getByRole("button", { name: "Send" }).click();
    expect(await page.getByTestId("request-panel").count()).toBe(0);

    // The kind is checked by the server, by content: a text file named .wav is refused.
    await page.getByLabel("Audio file").setInputFiles({ name: "notes.wav", mimeType: "audio/wav", buffer: Buffer.from("just some text, not a sound") });
    await page.getByRole("button", { name: "Send" }).click();
    const alert = page.getByTestId("submit-form").getByRole("alert");
    await alert.getByText("That kind of file is not accepted here.").waitFor();
    await alert.getByText(/"notes\.wav" is text\/plain; the audio input takes an audio file\./).waitFor();
  });

  it("uploads a video recorded in the page and plays the copy the worker sends back", { timeout: 60_000 }, async () => {
    const { space, token } = await suite.server.space({ name: uniqueName("Clips"), inputs: ["prompt", "video"] });
    suite.keep(await startMockWorker(suite.server.url, token, space.name, { minMs: 0 }));
    const { user, page } = await suite.signedIn();
    await page.goto(`/spaces/${space.id}`);
    await connectionStatus(page).getByText("✓ Connected (1 worker)").waitFor();

    // A real WebM made by Chromium's own encoder: a second of a canvas changing colour.
    // (An expression in a string: this file compiles without the DOM's types.)
    const recorded = await page.evaluate<number[]>(`(async () => {
      const canvas = Object.assign(document.createElement("canvas"), { width: 160, height: 120 });
      const draw = canvas.getContext("2d");
      const recorder = new MediaRecorder(canvas.captureStream(25), { mimeType: "video/webm" });
      const chunks = [];
      recorder.ondataavailable = (e) => chunks.push(e.data);
      const stopped = new Promise((resolve) => (recorder.onstop = resolve));
      recorder.start(100);
      for (let frame = 0; frame < 60; frame++) {
        draw.fillStyle = "hsl(" + frame * 6 + ", 80%, 50%)";
        draw.fillRect(0, 0, 160, 120);
        // Frames are paced by the page's own frame clock (content, not synchronisation).
        await new Promise((resolve) => requestAnimationFrame(resolve));
      }
      recorder.stop();
      await stopped;
      return Array.from(new Uint8Array(await new Blob(chunks).arrayBuffer()));
    })()`);
    const webm = Buffer.from(recorded);
    expect(webm.subarray(0, 4).toString("hex")).toBe("1a45dfa3");

    await page.getByLabel("Prompt").fill("echo my clip back");
    await page.getByLabel("Video file").setInputFiles({ name: "clip.webm", mimeType: "video/webm", buffer: webm });
    await page.getByRole("button", { name: "Send" }).click();
    const panel = page.getByTestId("request-panel");
    await panel.getByText("Completed").waitFor({ timeout: 30_000 });
    const requestId = (await panel.locator("code").first().textContent()) ?? "";
    const view = (await user.get<RequestView & { result: { files_received: { sha256: string; sha256_ok: boolean; mime: string }[] } }>(`/api/v1/requests/${requestId}`)).body;
    expect(view.result.files_received).toEqual([expect.objectContaining({ mime: "video/webm", sha256: sha256(webm), sha256_ok: true })]);
    expect(view.files.find((f) => f.kind === "output")).toMatchObject({ name: "echo-clip.webm", mime: "video/webm", sha256: sha256(webm) });

    // The copy plays in the page: its frames decode at the recorded size.
    const video = panel.getByTestId("result-media").locator("video");
    const size = await video.evaluate(
      (el: VideoLike) =>
        new Promise<number[]>((resolve) => {
          const size = () => resolve([el.videoWidth, el.videoHeight]);
          if (el.readyState >= 1) size();
          else el.addEventListener("loadedmetadata", size, { once: true });
        }),
    );
    expect(size).toEqual([160, 120]);
    await screenshot(page, "space-video");
  });

  it("sends a failed request again with its files", { timeout: 60_000 }, async () => {
    const { space, token } = await suite.server.space({ name: uniqueName("Flaky"), inputs: ["prompt", "audio"] });
    suite.keep(await startMockWorker(suite.server.url, token, space.name, { minMs: 0, failRate: 1 }));
    const { user, page } = await suite.signedIn();
    await page.goto(`/spaces/${space.id}`);
    await connectionStatus(page).getByText("✓ Connected (1 worker)").waitFor();
    const wav = makeWav(392, 0.3);
    await page.getByLabel("Prompt").fill("transcribe");
    await page.getByLabel("Audio file").setInputFiles({ name: "take.wav", mimeType: "audio/wav", buffer: wav });
    await page.getByRole("button", { name: "Send" }).click();
    const panel = page.getByTestId("request-panel");
    await panel.getByTestId("request-error").getByText("simulated failure").waitFor({ timeout: 30_000 });
    const firstId = (await panel.locator("code").first().textContent()) ?? "";

    await panel.getByRole("button", { name: "Send the same prompt again" }).click();
    await panel.locator("code").first().filter({ hasNotText: firstId }).waitFor();
    const secondId = (await panel.locator("code").first().textContent()) ?? "";
    const second = (await user.get<RequestView>(`/api/v1/requests/${secondId}`)).body;
    expect(second.prompt).toBe("transcribe");
    expect(second.files.map((f) => [f.kind, f.name, f.sha256])).toEqual([["input", "take.wav", sha256(wav)]]);
  });
});
