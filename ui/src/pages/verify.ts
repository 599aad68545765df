// "Verify now" on a version page: the server fetches the version's files, checks each
// against the manifest and the signature over it (`GET …/versions/N/verification`, what
// the signature_valid gate checks) and says what it found; a failure is shown, not thrown.

import { get } from "../api";
import { h, replace } from "../dom";
import { errorBox } from "../ui";

interface Verification {
  signed: boolean;
  verified: boolean;
  evidence: string;
  fingerprint: string | null;
  key: string | null;
  files: number;
}

export function verifyControl(base: string, signal: AbortSignal): HTMLElement {
  const outcome = h("span", { role: "status", "data-testid": "verify-outcome" });
  const button = h("button", { type: "button", class: "link-button", "data-testid": "verify-button" }, "Verify now");
  button.addEventListener("click", async () => {
    button.disabled = true;
    replace(outcome, " checking…");
    try {
      const found = await get<Verification>(`${base}/verification`, signal);
      replace(
        outcome,
        h("span", { class: found.verified ? "verified" : "verdict-drift" },
          found.verified ? " Verified: " : " Not verified: "),
        found.evidence,
      );
    } catch (err) {
      if (!signal.aborted) replace(outcome, errorBox(err, "Verification"));
    } finally {
      button.disabled = false;
    }
  });
  return h("span", { class: "verify" }, " ", button, outcome);
}
