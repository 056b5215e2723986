// Sample view: everything needed to see why one (sample, repeat) scored as it did: the verdict
// and its reason, the extracted answer beside the gold, code execution, judge verdicts, option
// log-likelihoods, the prompt as sent and the raw reply with <think> blocks folded.

import { getJSON, routes, runPath } from "./api.js";
import { badge, breadcrumbs, errorBox, fill, formatNumber, formatValue, h, kvTable, table } from "./dom.js";
import { isCurrent } from "./nav.js";
import { LIST_KEY, formatTarget } from "./samples.js";

export function renderSample(view, params, token, id, benchmark, key) {
  const crumbs = () =>
    breadcrumbs([
      ["Runs", routes.runs()],
      [id, routes.run(id)],
      [`Samples (${benchmark})`, listHash(id, benchmark)],
      [key],
    ]);
  fill(view, crumbs(), h("p", { class: "muted" }, "Loading sample…"));
  getJSON(`runs/${runPath(id)}/samples/${encodeURIComponent(benchmark)}/${encodeURIComponent(key)}`)
    .then((data) => {
      if (!isCurrent(token)) return;
      const prediction = data.prediction || {};
      const review = data.review || null;
      const score = (review && review.score) || null;
      const details = (score && score.details) || {};
      const output = prediction.output || {};
      fill(
        view,
        crumbs(),
        h(
          "div",
          { class: "page-head" },
          h("h1", null, prediction.sample_id || key),
          h("span", { class: "muted" }, describe(prediction, benchmark)),
        ),
        stepper(id, benchmark, key),
        verdictPanel(score, prediction, output),
        answers(score, review, prediction),
        details.execution ? executionPanel(details.execution) : null,
        details.judge !== undefined || details.rule ? judgePanel(details) : null,
        output.option_scores ? optionScores(output.option_scores, review ? review.target : prediction.target, score) : null,
        otherDetails(details),
        section("Prompt", "prompt", messages(prediction.input, keptImage(id, data.kept_images))),
        section("Reply", "reply", replyView(output)),
        callFacts(output, prediction),
        h(
          "details",
          { class: "raw" },
          h("summary", null, "Raw records (prediction and review journals)"),
          h("pre", null, JSON.stringify({ prediction, review }, null, 2)),
        ),
      );
    })
    .catch((error) => {
      if (isCurrent(token)) fill(view, crumbs(), errorBox(error.message));
    });
}

function listHash(id, benchmark) {
  const list = storedList();
  if (list && list.run === id && list.benchmark === benchmark) return list.hash;
  return routes.samples(id, { benchmark });
}

function storedList() {
  try {
    return JSON.parse(sessionStorage.getItem(LIST_KEY) || "null");
  } catch {
    return null;
  }
}

/** Previous / next sample of the list the user came from (the page of samples last shown). */
function stepper(id, benchmark, key) {
  const list = storedList();
  if (!list || list.run !== id || list.benchmark !== benchmark) return null;
  const at = list.keys.indexOf(key);
  if (at < 0) return null;
  const link = (offset, label, rel) => {
    const other = list.keys[at + offset];
    return other === undefined
      ? h("span", { class: "muted" }, label)
      : h("a", { href: routes.sample(id, benchmark, other), rel, id: `${rel}-sample` }, label);
  };
  return h(
    "nav",
    { class: "stepper", "aria-label": "Samples in this list" },
    link(-1, "← Previous", "prev"),
    h("a", { href: list.hash }, `Back to the list (${at + 1} of ${list.keys.length} on this page)`),
    link(1, "Next →", "next"),
  );
}

function describe(prediction, benchmark) {
  return [
    benchmark,
    prediction.subset ? `subset ${prediction.subset}` : null,
    prediction.repeat !== undefined ? `repeat ${prediction.repeat}` : null,
    prediction.model ? `model ${prediction.model}` : null,
  ]
    .filter(Boolean)
    .join(" · ");
}

function section(title, sectionId, ...children) {
  return h("section", { class: "panel", id: sectionId }, h("h2", null, title), children);
}

/** The review's verdict: correct, wrong, a partial score, excluded or errored. */
function verdictOfScore(score) {
  if (!score) return "pending";
  if (score.status === "excluded" || score.status === "errored") return score.status;
  const values = Object.values(score.value || {});
  if (values.length && values.every((v) => v === 1)) return "correct";
  if (values.length && values.every((v) => v === 0)) return "wrong";
  return "scored";
}

const VERDICT_TITLES = {
  correct: "Correct",
  wrong: "Wrong",
  scored: "Scored",
  excluded: "Excluded from the score",
  errored: "Errored: no answer from the model",
  pending: "Not reviewed yet",
};

function verdictPanel(score, prediction, output) {
  const verdict = verdictOfScore(score);
  const lines = [];
  if (score && score.reason) lines.push(h("p", { class: "reason", id: "verdict-reason" }, score.reason));
  const judge = score && score.details && score.details.judge;
  for (const vote of (judge && judge.votes) || []) {
    if (vote.failure) lines.push(h("p", { class: "reason" }, `Judge ${vote.judge}: ${vote.error || vote.failure}`));
  }
  if (score && score.explanation) lines.push(h("p", { class: "explanation", id: "verdict-explanation" }, score.explanation));
  if (verdict === "wrong" && score && !score.explanation) {
    lines.push(h("p", { class: "explanation", id: "verdict-explanation" }, whyWrong(score, prediction)));
  }
  if (output.error) lines.push(h("p", { class: "reason" }, `Model call failed: ${output.error}`));
  const flags = [];
  if (score && score.truncated) {
    flags.push(
      badge(output.finish_reason === "length" ? "truncated: hit max_tokens" : "truncated: <think> left open", "warn"),
    );
  }
  if (score && score.status === "scored" && (score.extracted === null || score.extracted === undefined)) {
    flags.push(badge("no answer extracted", "warn"));
  }
  const values = Object.entries((score && score.value) || {});
  return h(
    "section",
    { class: `panel verdict verdict-${verdict}`, id: "verdict" },
    h("h2", null, VERDICT_TITLES[verdict]),
    values.length
      ? h("p", { class: "values" }, values.map(([metric, value]) => h("span", { class: "metric-value" }, `${metric} = ${formatNumber(value)}`)))
      : null,
    lines,
    flags.length ? h("p", null, flags) : null,
  );
}

/** Why a wrong verdict was given, when the scorer wrote no explanation of its own. */
function whyWrong(score, prediction) {
  const judge = score.details && score.details.judge;
  if (judge && judge.verdict !== null && judge.verdict !== undefined) {
    const judges = [...new Set((judge.votes || []).map((vote) => vote.judge))].join(", ") || "the judge";
    return `The judge (${judges}) gave the verdict ${formatTarget(judge.verdict)}: not a match for the gold answer.`;
  }
  if (score.extracted === null || score.extracted === undefined) return "No answer could be extracted from the reply.";
  return `The extracted answer ${score.extracted} does not match the gold ${formatTarget(prediction.target)}.`;
}

function answers(score, review, prediction) {
  const extracted = score ? score.extracted : null;
  const gold = review && review.target !== undefined ? review.target : prediction.target;
  const missing = extracted === null || extracted === undefined;
  return h(
    "section",
    { class: "answers" },
    h(
      "div",
      { class: "panel", id: "extracted" },
      h("h2", null, "Extracted answer"),
      missing ? h("p", { class: "muted" }, "(nothing extracted)") : h("pre", null, String(extracted)),
    ),
    h("div", { class: "panel", id: "gold" }, h("h2", null, "Gold answer"), h("pre", null, formatTarget(gold))),
  );
}

function executionPanel(execution) {
  const known = new Set(["outcome", "exception", "exit_code", "wall_s", "stdout", "stderr", "failed_test"]);
  const rest = Object.entries(execution).filter(([k]) => !known.has(k));
  return section(
    "Code execution",
    "execution",
    kvTable([
      ["Outcome", badge(execution.outcome, execution.outcome === "passed" ? "good" : "bad")],
      ["Exception", execution.exception || undefined],
      ["Exit code", execution.exit_code],
      ["Wall time (s)", execution.wall_s],
    ]),
    execution.failed_test !== undefined && execution.failed_test !== null
      ? [h("h3", null, "Failing test"), h("pre", { class: "failed-test" }, formatValue(execution.failed_test))]
      : null,
    execution.stderr ? [h("h3", null, "stderr (tail)"), h("pre", { class: "stderr" }, execution.stderr)] : null,
    execution.stdout ? [h("h3", null, "stdout (tail)"), h("pre", { class: "stdout" }, execution.stdout)] : null,
    rest.length ? kvTable(rest) : null,
  );
}

function judgePanel(details) {
  const judge = details.judge;
  const parts = [];
  if (details.rule) {
    parts.push(h("h3", null, "Rule-based verdict"), kvTable(Object.entries(details.rule)));
  }
  if (judge === null) {
    parts.push(h("p", { class: "muted" }, "The judge was not asked (the rule-based verdict decided)."));
  } else if (judge) {
    parts.push(
      kvTable([
        ["Verdict", judge.verdict],
        ["Why no verdict", judge.reason],
        ["Judges agree", judge.agree],
      ]),
    );
    const votes = judge.votes || [];
    if (votes.length) {
      parts.push(
        table(
          ["Judge", "Repeat", "Verdict", "Reply", "Failure"],
          votes.map((vote) => [
            vote.judge,
            String(vote.repeat),
            formatValue(vote.verdict),
            h("pre", { class: "judge-reply" }, vote.reply || ""),
            vote.failure ? `${vote.failure}${vote.error ? `: ${vote.error}` : ""}` : "",
          ]),
          { class: "votes" },
        ),
      );
    }
  }
  return section("Judge", "judge", parts);
}

function optionScores(options, target, score) {
  const golds = new Set(Array.isArray(target) ? target : [target]);
  const chosen = score ? score.extracted : null;
  const best = Math.max(...options.map((o) => o.logprob));
  const bestNorm = Math.max(...options.map((o) => o.logprob_per_token));
  const rows = options.map((o) =>
    h(
      "tr",
      { class: [golds.has(o.label) ? "gold" : "", o.label === chosen ? "chosen" : ""].join(" ").trim() || null },
      h("th", { scope: "row" }, o.label, golds.has(o.label) ? badge("gold", "good") : null, o.label === chosen ? badge("chosen", "info") : null),
      h("td", { class: `num${o.logprob === best ? " best" : ""}` }, formatNumber(o.logprob)),
      h("td", { class: "num" }, String(o.tokens)),
      h("td", { class: `num${o.logprob_per_token === bestNorm ? " best" : ""}` }, formatNumber(o.logprob_per_token)),
    ),
  );
  return section(
    "Option log-likelihoods",
    "option-scores",
    h("p", { id: "option-choice" }, choiceReason(options, chosen, best, bestNorm)),
    table(["Option", "Log-likelihood (sum)", "Tokens", "Per token"], rows, { class: "options" }),
  );
}

/** Which ranking picked the chosen option: the summed log-likelihood, the per-token one, or both. */
function choiceReason(options, chosen, best, bestNorm) {
  const option = options.find((o) => o.label === chosen);
  if (!option) return "No option was chosen.";
  const bySum = option.logprob === best;
  const byToken = option.logprob_per_token === bestNorm;
  if (bySum && byToken) return `Chosen: ${chosen}, the likeliest option both in total and per token.`;
  if (byToken) return `Chosen: ${chosen}, the likeliest per token (length-normalised); by total log-likelihood it is not.`;
  if (bySum) return `Chosen: ${chosen}, the likeliest in total; per token another option is likelier.`;
  return `Chosen: ${chosen}.`;
}

function otherDetails(details) {
  const rest = Object.entries(details).filter(([k]) => !["execution", "judge", "rule"].includes(k));
  if (!rest.length) return null;
  return section("Other scoring details", "score-details", kvTable(rest));
}

/**
 * The chat messages as sent, by role. Images are shown from the copy the run kept (images/<sha256>,
 * see assay.engine.images) or from a data: URL; otherwise their reference is printed.
 */
function messages(input, imageSrc) {
  if (typeof input === "string") return h("div", { class: "msg role-prompt" }, h("div", { class: "role" }, "prompt"), h("pre", null, input));
  return (input || []).map((message) =>
    h(
      "div",
      { class: `msg role-${message.role}` },
      h("div", { class: "role" }, message.role, message.tool_call_id ? ` (answers ${message.tool_call_id})` : ""),
      contentNodes(message.content, imageSrc),
      message.tool_calls ? toolCalls(message.tool_calls) : null,
    ),
  );
}

/** The viewer's address of a kept image by its hash, or null when the run kept no copy. */
function keptImage(id, kept) {
  const hashes = new Set(kept || []);
  return (sha256) => (hashes.has(sha256) ? `api/runs/${runPath(id)}/images/${sha256}` : null);
}

function contentNodes(content, imageSrc) {
  if (content === null || content === undefined) return null;
  if (typeof content === "string") return h("pre", null, content);
  return content.map((part) => {
    if (part.type === "text") return h("pre", null, part.text);
    const url = imageUrl(part);
    const where = String(part.source || url || "image");
    const reference = `${where.startsWith("data:") ? "an inline data: URL" : where}${part.sha256 ? ` (sha256 ${part.sha256.slice(0, 12)})` : ""}`;
    const src = (part.sha256 && imageSrc(part.sha256)) || (url && url.startsWith("data:image/") ? url : null);
    if (src) {
      return h(
        "figure",
        { class: "prompt-figure" },
        h("img", { class: "prompt-image", src, alt: `image in the prompt: ${reference.slice(0, 200)}` }),
        h("figcaption", { class: "muted" }, reference.slice(0, 200)),
      );
    }
    return h("p", { class: "muted" }, `[image ${reference.slice(0, 200)}: no copy kept]`);
  });
}

function imageUrl(part) {
  if (part.image_url) return typeof part.image_url === "string" ? part.image_url : part.image_url.url;
  if (part.url) return part.url;
  if (typeof part.source === "string" && part.source.startsWith("data:")) return part.source;
  return null;
}

function toolCalls(calls) {
  return table(
    ["Call", "Function", "Arguments"],
    calls.map((call) => [call.id || "", call.name || (call.function && call.function.name) || "", h("pre", null, call.arguments || "")]),
    { class: "tool-calls" },
  );
}

/** The reply with each <think>…</think> block folded; a block left open is said to be. */
function replyView(output) {
  const nodes = [];
  if (output.reasoning) {
    nodes.push(
      h("details", { class: "think" }, h("summary", null, `Reasoning sent apart by the server (${output.reasoning.length} characters)`), h("pre", null, output.reasoning)),
    );
  }
  if (output.turns && output.turns.length > 1) {
    output.turns.forEach((turn, i) => nodes.push(h("h3", null, `Turn ${i + 1}`), foldThinking(turn)));
  } else if (!output.text && output.option_scores) {
    nodes.push(h("p", { class: "muted" }, "(no reply: a log-likelihood request scores the options, it generates no text)"));
  } else {
    nodes.push(foldThinking(output.text || ""));
  }
  if (output.tool_calls && output.tool_calls.length) nodes.push(h("h3", null, "Tool calls"), toolCalls(output.tool_calls));
  return nodes;
}

function foldThinking(text) {
  const box = h("div", { class: "reply-text" });
  if (!text) return fill(box, h("p", { class: "muted" }, "(empty reply)"));
  let rest = text;
  if (!rest.includes("<think>") && rest.includes("</think>")) {
    // the chat template opened the block in the prompt: the reply starts inside it
    const end = rest.indexOf("</think>");
    box.appendChild(thinkBlock(rest.slice(0, end), true));
    rest = rest.slice(end + "</think>".length);
  }
  while (rest) {
    const start = rest.indexOf("<think>");
    if (start < 0) {
      box.appendChild(h("pre", { class: "answer-text" }, rest));
      break;
    }
    if (start > 0) box.appendChild(h("pre", { class: "answer-text" }, rest.slice(0, start)));
    const end = rest.indexOf("</think>", start);
    const closed = end >= 0;
    box.appendChild(thinkBlock(rest.slice(start + "<think>".length, closed ? end : undefined), closed));
    rest = closed ? rest.slice(end + "</think>".length) : "";
  }
  return box;
}

function thinkBlock(thinking, closed) {
  const summary = closed
    ? `Thinking (${thinking.length} characters)`
    : `Thinking never closed (${thinking.length} characters): the reply ended inside <think>`;
  return h("details", { class: `think${closed ? "" : " open-think"}` }, h("summary", null, summary), h("pre", null, thinking));
}

function callFacts(output, prediction) {
  const usage = output.usage || {};
  return h(
    "details",
    { class: "panel facts" },
    h("summary", null, "Model call"),
    kvTable([
      ["Finish reason", output.finish_reason],
      ["Prompt tokens", usage.prompt_tokens],
      ["Completion tokens", usage.completion_tokens],
      ["Latency (s)", output.latency_s],
      ["Time to first token (s)", output.ttft_s === null ? undefined : output.ttft_s],
      ["Attempts", output.attempts],
      ["Error", output.error || undefined],
      ["Fingerprint", prediction.fingerprint],
      ["Finished at", prediction.time],
    ]),
  );
}
