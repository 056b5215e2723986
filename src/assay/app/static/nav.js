// Shared navigation state: which hash the view shows, and which render is current.
//
// A page changes its own filters with `setHash` (a history entry, no re-render), so typing in a
// search box keeps its focus; back/forward and links re-render from the address (app.js).

const state = { rendered: null, generation: 0 };

/** Record a page's new state in the address bar and history without re-rendering it. */
export function setHash(hash, { replace = false } = {}) {
  if (hash === location.hash) return;
  state.rendered = hash;
  if (replace) history.replaceState(null, "", hash);
  else history.pushState(null, "", hash);
}

/** Start rendering `hash`; false when the view already shows it. Returns the render's token. */
export function beginRender(hash) {
  if (hash === state.rendered) return null;
  state.rendered = hash;
  state.generation += 1;
  return state.generation;
}

/** Whether an answer arriving now still belongs to the render that asked for it. */
export function isCurrent(token) {
  return token === state.generation;
}
