/* Broadsheet search: the `/` shortcut on every page, and on the search page a lunr.js search
 * over a chunked index that loads only what a query needs.
 *
 * Everything loads with <script src> (search files call window.__broadsheetSearch), never fetch,
 * so search works from file://. Nothing loads until the reader opens the search page or focuses
 * its box. All page text is set with textContent or DOM nodes, never innerHTML.
 */
(function () {
  "use strict";

  var CALLBACK = "__broadsheetSearch";
  var PAGE_SIZE = 10;
  var MIN_PREFIX = 3; // shorter prefixes match too much to be worth their download
  var PREFIX_BYTES = 120000; // a prefix needing more chunk bytes than this is searched as a word
  var DEBOUNCE_MS = 120;

  /* ---- Script loader: name -> Promise of the data its script hands to the callback ---- */

  var waiting = Object.create(null);
  var promises = Object.create(null);

  window[CALLBACK] = function (name, data) {
    var w = waiting[name];
    if (w) {
      delete waiting[name];
      w.resolve(data);
    }
  };

  function loadScript(src, name) {
    if (promises[name]) return promises[name];
    promises[name] = new Promise(function (resolve, reject) {
      var el = document.createElement("script");
      el.src = src;
      el.async = true;
      if (name.charAt(0) !== "!") waiting[name] = { resolve: resolve };
      el.onload = function () {
        if (name.charAt(0) === "!") resolve(true);
        else if (waiting[name]) {
          delete waiting[name];
          reject(new Error(src + " loaded but held no search data"));
        }
      };
      el.onerror = function () {
        delete waiting[name];
        delete promises[name];
        reject(new Error("could not load " + src));
      };
      document.head.appendChild(el);
    });
    return promises[name];
  }

  /* ---- Engine: reader's words -> lunr clauses -> chunks -> merged lunr index -> results ---- */

  function Engine(base, lunrSrc) {
    this.base = base; // URL of the search/ folder, ending with "/" (or "" for the same folder)
    this.lunrSrc = lunrSrc;
    this.manifest = null;
    this.termCache = Object.create(null);
  }

  Engine.prototype.ready = function () {
    var self = this;
    if (!this._ready) {
      this._ready = Promise.all([
        window.lunr ? Promise.resolve(true) : loadScript(this.lunrSrc, "!lunr"),
        loadScript(this.base + "manifest.js", "manifest"),
      ]).then(function (r) {
        self.manifest = r[1];
        if (window.lunr.version !== self.manifest.version) {
          throw new Error("index is for lunr " + self.manifest.version + ", page has " + lunr.version);
        }
        return self;
      });
      this._ready.catch(function () { self._ready = null; });
    }
    return this._ready;
  };

  Engine.prototype.file = function (name) {
    return loadScript(this.base + name + ".js?v=" + this.manifest.id, name);
  };

  /* The term lunr.js's builder makes of one token (null for a stop word), memoised. */
  Engine.prototype.term = function (token) {
    var cached = this.termCache[token];
    if (cached !== undefined) return cached;
    var t = new lunr.Token(token, {});
    var out = lunr.trimmer(t);
    out = out && lunr.stopWordFilter(out);
    out = out ? lunr.stemmer(out).toString() : null;
    this.termCache[token] = out;
    return out;
  };

  /* Index of the chunk whose range holds `term`: the last chunk starting at or before it. */
  Engine.prototype.chunkOf = function (term) {
    var firsts = this.manifest.chunks, lo = 0, hi = firsts.length - 1;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (firsts[mid] <= term) lo = mid; else hi = mid - 1;
    }
    return lo;
  };

  Engine.prototype.chunksOfPrefix = function (prefix) {
    var firsts = this.manifest.chunks, out = [this.chunkOf(prefix)];
    for (var i = out[0] + 1; i < firsts.length && firsts[i].lastIndexOf(prefix, 0) === 0; i++) {
      out.push(i);
    }
    return out;
  };

  function commonPrefix(a, b) {
    var i = 0;
    while (i < a.length && i < b.length && a.charAt(i) === b.charAt(i)) i++;
    return a.slice(0, i);
  }

  /* What a reader means, as lunr clauses: every word required; `tag:x`, `author:x` limit a
   * word to a field; `-word` excludes; the last word, still being typed, matches as a prefix.
   * A prefix runs on stemmed terms, so the last word's clause is the common prefix of the word
   * and its stem (`install` -> `instal*`), with an optional exact clause ranking whole words
   * first. Returns {clauses, chunks, words}; clauses never include `*` from the reader. */
  Engine.prototype.plan = function (input) {
    var self = this, clauses = [], chunks = Object.create(null), positive = 0;
    var prohibited = [];
    var words = input.split(/[\s]+/).filter(Boolean);
    var typing = input.length > 0 && !/\s$/.test(input);
    var FIELD = { "tag:": ["tags"], "tags:": ["tags"], "author:": ["author"], "by:": ["author"] };

    words.forEach(function (word, w) {
      var fields = null, presence = lunr.Query.presence.REQUIRED;
      var m = /^(tags?:|author:|by:)(.*)$/i.exec(word);
      if (m) {
        fields = FIELD[m[1].toLowerCase()];
        word = m[2];
      } else if (word.length > 1 && word.charAt(0) === "-") {
        presence = lunr.Query.presence.PROHIBITED;
        word = word.slice(1);
      }
      var tokens = lunr.tokenizer(word).map(String);
      tokens.forEach(function (token, k) {
        if (token.indexOf("*") !== -1) token = token.replace(/\*/g, "");
        var term = self.term(token);
        var last = typing && w === words.length - 1 && k === tokens.length - 1;
        var clause = { term: term, presence: presence, usePipeline: false };
        if (fields) clause.fields = fields;
        // a whole stop word ("history of the") adds nothing, even while being typed
        if (last && term && presence !== lunr.Query.presence.PROHIBITED) {
          var raw = lunr.trimmer(new lunr.Token(token, {})).toString();
          var prefix = commonPrefix(raw, term);
          if (prefix.length >= MIN_PREFIX) {
            var cost = 0, extra = self.chunksOfPrefix(prefix);
            extra.forEach(function (c) { if (!chunks[c]) cost += self.manifest.sizes[c]; });
            if (cost <= PREFIX_BYTES) {
              var wild = {
                term: prefix, presence: presence, usePipeline: false,
                wildcard: lunr.Query.wildcard.TRAILING,
              };
              if (fields) wild.fields = fields;
              clauses.push(wild);
              extra.forEach(function (c) { chunks[c] = true; });
              positive++;
              clause.presence = lunr.Query.presence.OPTIONAL;
            }
          }
        }
        if (!term) return; // a stop word or punctuation: lunr never indexed it
        if (presence === lunr.Query.presence.PROHIBITED) {
          prohibited.push(clause);
        } else {
          clauses.push(clause);
          positive++;
        }
        chunks[self.chunkOf(term)] = true;
      });
    });
    if (positive) clauses = clauses.concat(prohibited);
    return {
      clauses: clauses,
      chunks: Object.keys(chunks).map(Number).sort(function (a, b) { return a - b; }),
    };
  };

  /* The postings of the loaded chunks' entries, decoded: per entry its term, its key in lunr's
   * numbering (first document, first field, position) and per field [doc, tf, ...]. */
  Engine.prototype.decode = function (chunkData) {
    var out = [], nfields = this.manifest.fields.length;
    chunkData.forEach(function (entries) {
      for (var e = 0; e < entries.length; e++) {
        var entry = entries[e], lists = [], firstDoc = Infinity, firstField = 0;
        for (var f = 0; f < nfields; f++) {
          var list = entry[2 + f], flat = [];
          if (list) {
            for (var k = 0, doc = 0; k < list.length; k += 2) {
              doc += list[k];
              flat.push(doc, list[k + 1]);
            }
            if (flat[0] < firstDoc) { firstDoc = flat[0]; firstField = f; }
          }
          lists.push(flat);
        }
        out.push({ term: entry[0], key: [firstDoc, firstField, entry[1]], lists: lists });
      }
    });
    return out;
  };

  /* The length blocks these entries' documents fall in. */
  Engine.prototype.blocksOf = function (decoded) {
    var block = this.manifest.block, seen = Object.create(null);
    decoded.forEach(function (d) {
      d.lists.forEach(function (flat) {
        for (var k = 0; k < flat.length; k += 2) seen[Math.floor(flat[k] / block)] = true;
      });
    });
    return Object.keys(seen).map(Number);
  };

  /* A lunr index of just these entries, with the weights lunr.Builder would give them:
   * terms numbered as lunr numbers them (order of first appearance), idf from lunr.idf and
   * BM25 with createFieldVectors' float operations in its order, rounded as it rounds. lunr
   * scores a document with the vector entries of the query's terms alone, so results and
   * scores equal those of one monolithic lunr.js index of the whole archive. */
  Engine.prototype.merge = function (decoded, lengthBlocks) {
    var m = this.manifest, fields = m.fields, nfields = fields.length, n = m.docs;
    var k1 = m.k1, b = m.b, average = m.sums.map(function (s) { return s / n; });
    var numbered = decoded.slice().sort(function (x, y) {
      return x.key[0] - y.key[0] || x.key[1] - y.key[1] || x.key[2] - y.key[2];
    });
    var number = new Map();
    numbered.forEach(function (d, i) { number.set(d, i); });
    var inverted = [], vectors = Object.create(null);
    decoded.forEach(function (d) {
      var index = number.get(d), posting = { _index: index };
      for (var f = 0; f < nfields; f++) {
        var docs = {}, flat = d.lists[f];
        for (var k = 0; k < flat.length; k += 2) docs[flat[k]] = {};
        posting[fields[f]] = docs;
      }
      var idf = lunr.idf(posting, n);
      for (f = 0; f < nfields; f++) {
        var list = d.lists[f], boost = m.boosts[f] || 1;
        for (k = 0; k < list.length; k += 2) {
          var doc = list[k], tf = list[k + 1];
          var lengths = lengthBlocks[Math.floor(doc / m.block)];
          var fieldLength = lengths[(doc % m.block) * nfields + f];
          var score = idf * ((k1 + 1) * tf) / (k1 * (1 - b + b * (fieldLength / average[f])) + tf);
          score *= boost;
          var key = fields[f] + "/" + doc;
          (vectors[key] || (vectors[key] = [])).push(index, Math.round(score * 1000) / 1000);
        }
      }
      inverted.push([d.term, posting]);
    });
    var fieldVectors = Object.keys(vectors).map(function (key) {
      var flat = vectors[key], pairs = [], out = [];
      for (var i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
      pairs.sort(function (x, y) { return x[0] - y[0]; });
      pairs.forEach(function (p) { out.push(p[0], p[1]); });
      return [key, out];
    });
    return lunr.Index.load({
      version: m.version,
      fields: fields,
      fieldVectors: fieldVectors,
      invertedIndex: inverted,
      pipeline: ["stemmer"],
    });
  };

  Engine.prototype.run = function (plan) {
    var self = this;
    if (!plan.clauses.length) return Promise.resolve([]);
    return Promise.all(plan.chunks.map(function (c) { return self.chunk(c); }))
      .then(function (data) {
        var decoded = self.decode(data), blocks = self.blocksOf(decoded);
        return Promise.all(blocks.map(function (k) { return self.file("lengths/" + k); }))
          .then(function (loaded) {
            var lengthBlocks = Object.create(null);
            blocks.forEach(function (k, i) { lengthBlocks[k] = loaded[i]; });
            return self.merge(decoded, lengthBlocks).query(function (q) {
              plan.clauses.forEach(function (c) { q.clause(Object.assign({}, c)); });
            });
          });
      });
  };

  Engine.prototype.chunk = function (c) {
    return this.file("index/" + this.manifest.files[c]);
  };

  Engine.prototype.search = function (input) {
    var self = this;
    return this.ready().then(function () { return self.run(self.plan(input)); });
  };

  Engine.prototype.doc = function (ref) {
    return this.file("doc/" + ref);
  };

  /* ---- Snippets: the passage of the text around the first matched word, words marked ---- */

  var WORD = /[^\s\-]+/g;

  function markedRuns(engine, text, terms) {
    var runs = [], last = 0, m;
    WORD.lastIndex = 0;
    while ((m = WORD.exec(text))) {
      var term = engine.term(m[0].toLowerCase());
      if (term && terms[term]) {
        var core = /[A-Za-z0-9_].*[A-Za-z0-9_]|[A-Za-z0-9_]/.exec(m[0]);
        var start = m.index + (core ? core.index : 0);
        var end = core ? start + core[0].length : m.index + m[0].length;
        runs.push([last, start, false], [start, end, true]);
        last = end;
      }
    }
    runs.push([last, text.length, false]);
    return runs;
  }

  function snippet(engine, entry, terms) {
    var source = entry.x || entry.s, first = -1, m;
    WORD.lastIndex = 0;
    while ((m = WORD.exec(source))) {
      var term = engine.term(m[0].toLowerCase());
      if (term && terms[term]) { first = m.index; break; }
    }
    if (first < 0) source = entry.s;
    var start = Math.max(0, first - 80), end = Math.min(source.length, Math.max(first, 0) + 200);
    if (start > 0) start = source.indexOf(" ", start) + 1;
    if (end < source.length) end = Math.max(source.lastIndexOf(" ", end), start + 1);
    var text = source.slice(start, end);
    var frag = document.createDocumentFragment();
    if (start > 0) frag.appendChild(document.createTextNode("\u2026 "));
    markedRuns(engine, text, terms).forEach(function (run) {
      if (run[1] <= run[0]) return;
      var piece = document.createTextNode(text.slice(run[0], run[1]));
      if (run[2]) {
        var mark = document.createElement("mark");
        mark.appendChild(piece);
        frag.appendChild(mark);
      } else {
        frag.appendChild(piece);
      }
    });
    if (end < source.length) frag.appendChild(document.createTextNode(" \u2026"));
    return frag;
  }

  /* ---- The search page ---- */

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function SearchPage(root) {
    var self = this;
    this.root = root;
    this.box = document.getElementById("search-query");
    this.status = document.getElementById("search-status");
    this.list = document.getElementById("search-results");
    this.more = document.getElementById("search-more");
    this.empty = document.getElementById("search-empty");
    this.emptyQuery = document.getElementById("search-empty-query");
    this.siteRoot = root.getAttribute("data-site-root").replace(/index\.html$/, "");
    var manifest = root.getAttribute("data-manifest");
    this.engine = new Engine(manifest.slice(0, manifest.length - "manifest.js".length),
      root.getAttribute("data-lunr"));
    this.title = document.title;
    this.seq = 0;
    this.results = [];
    this.shown = 0;
    this.timer = null;

    this.box.addEventListener("focus", function () { self.engine.ready().catch(function () {}); });
    this.box.addEventListener("input", function () {
      clearTimeout(self.timer);
      self.timer = setTimeout(function () { self.update(); }, DEBOUNCE_MS);
    });
    this.box.addEventListener("keydown", function (e) { self.onBoxKey(e); });
    this.list.addEventListener("keydown", function (e) { self.onListKey(e); });
    this.box.form.addEventListener("submit", function (e) {
      e.preventDefault();
      clearTimeout(self.timer);
      self.update();
    });
    this.more.addEventListener("click", function () { self.showMore(); });

    var q = new URLSearchParams(window.location.search).get("q") || "";
    this.box.value = q;
    if (q) this.update();
    else this.box.focus();
  }

  SearchPage.prototype.update = function () {
    var self = this, input = this.box.value, seq = ++this.seq;
    var url = new URL(window.location.href);
    if (input.trim()) url.searchParams.set("q", input); else url.searchParams.delete("q");
    try {
      window.history.replaceState(null, "", url.pathname + url.search + url.hash);
    } catch (e) { /* some file:// setups refuse; the search still runs */ }
    document.title = input.trim() ? "\u201c" + input.trim() + "\u201d \u2014 " + this.title : this.title;
    this.root.setAttribute("aria-busy", "true");
    if (!input.trim()) {
      this.show([], "", seq);
      return Promise.resolve();
    }
    this.status.textContent = "Searching\u2026";
    return this.engine.search(input).then(function (results) {
      self.show(results, input.trim(), seq);
    }, function (error) {
      if (seq !== self.seq) return;
      self.clear();
      self.status.textContent = "Search is unavailable: " + (error && error.message || error);
      self.root.setAttribute("aria-busy", "false");
    });
  };

  SearchPage.prototype.clear = function () {
    this.list.replaceChildren();
    this.more.hidden = true;
    this.empty.hidden = true;
  };

  SearchPage.prototype.show = function (results, query, seq) {
    if (seq !== this.seq) return;
    this.clear();
    this.results = results;
    this.shown = 0;
    if (!query || !results.length) {
      this.status.textContent = query ? "No results" : "";
      this.emptyQuery.textContent = query;
      this.empty.hidden = !query;
      this.root.setAttribute("aria-busy", "false");
      return;
    }
    this.status.textContent = results.length === 1 ? "1 result" : results.length + " results";
    this.showMore();
  };

  SearchPage.prototype.showMore = function () {
    var self = this, seq = this.seq, batch = this.results.slice(this.shown, this.shown + PAGE_SIZE);
    this.shown += batch.length;
    this.more.hidden = true;
    this.root.setAttribute("aria-busy", "true");
    var slots = batch.map(function (r) {
      var li = el("li", "search-result");
      self.list.appendChild(li);
      return li;
    });
    return Promise.all(batch.map(function (r) { return self.engine.doc(r.ref); }))
      .then(function (entries) {
        if (seq !== self.seq) return;
        entries.forEach(function (entry, i) {
          self.fill(slots[i], entry, batch[i]);
        });
        self.more.hidden = self.shown >= self.results.length;
        self.root.setAttribute("aria-busy", "false");
      }, function (error) {
        if (seq !== self.seq) return;
        self.status.textContent = "Search is unavailable: " + error.message;
        self.root.setAttribute("aria-busy", "false");
      });
  };

  SearchPage.prototype.fill = function (li, entry, result) {
    var terms = Object.create(null);
    Object.keys(result.matchData.metadata).forEach(function (t) { terms[t] = true; });
    var article = el("article", "entry" + (entry.i ? " has-thumb" : ""));
    if (entry.i) {
      var thumb = el("span", "entry-thumb");
      var img = el("img");
      img.src = this.siteRoot + entry.i;
      img.alt = "";
      img.loading = "lazy";
      thumb.appendChild(img);
      article.appendChild(thumb);
    }
    var body = el("div", "entry-body");
    var h2 = el("h2", "entry-title");
    var link = el("a", "", entry.t);
    link.href = this.siteRoot + entry.u;
    h2.appendChild(link);
    body.appendChild(h2);
    var meta = el("p", "entry-meta");
    var time = el("time", "", entry.D);
    time.dateTime = entry.d;
    meta.appendChild(time);
    if (entry.a.length) meta.appendChild(document.createTextNode(" \u00b7 By " + entry.a.join(", ")));
    body.appendChild(meta);
    var snip = el("p", "entry-summary search-snippet");
    snip.appendChild(snippet(this.engine, entry, terms));
    body.appendChild(snip);
    if (entry.g.length) {
      var tags = el("ul", "tag-list");
      tags.setAttribute("aria-label", "Tags");
      entry.g.forEach(function (g) {
        var item = el("li"), a = el("a", "tag", g[0]);
        a.href = this.siteRoot + g[1];
        item.appendChild(a);
        tags.appendChild(item);
      }, this);
      body.appendChild(tags);
    }
    article.appendChild(body);
    li.appendChild(article);
  };

  SearchPage.prototype.links = function () {
    return Array.prototype.slice.call(this.list.querySelectorAll(".entry-title a"));
  };

  /* Down from the box moves focus into the results; arrows move between them; Enter opens
   * the focused link (the browser's own behaviour); up from the first goes back to the box. */
  SearchPage.prototype.onBoxKey = function (e) {
    if (e.key === "ArrowDown") {
      var links = this.links();
      if (links.length) {
        e.preventDefault();
        links[0].focus();
      }
    }
  };

  SearchPage.prototype.onListKey = function (e) {
    var links = this.links(), i = links.indexOf(document.activeElement);
    if (i < 0 || (e.key !== "ArrowDown" && e.key !== "ArrowUp")) return;
    e.preventDefault();
    var next = i + (e.key === "ArrowDown" ? 1 : -1);
    if (next < 0) this.box.focus();
    else if (next < links.length) links[next].focus();
  };

  /* ---- Every page: `/` focuses the search box unless the reader is typing somewhere ---- */

  function typingIn(node) {
    if (!node) return false;
    var tag = node.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || node.isContentEditable;
  }

  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || typingIn(e.target)) return;
    var box = document.getElementById("search-query") || document.getElementById("search-box");
    if (box) {
      e.preventDefault();
      box.focus();
      box.select();
    }
  });

  window.BroadsheetSearch = { Engine: Engine, SearchPage: SearchPage };

  function start() {
    var root = document.getElementById("search-page");
    if (root) window.BroadsheetSearch.page = new SearchPage(root);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
