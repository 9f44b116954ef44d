// The patient x trial matrix and detail of the blinakg several-trials report.
// The data is read once from #patients-data; only one page of rows and one
// patient's detail for one trial are in the DOM at a time. Text goes in with
// textContent: never parsed as HTML.
(function () {
  'use strict';
  var STATUS = { P: 'pass', F: 'fail', U: 'unknown', R: 'review' };
  var VERDICT = { E: 'eligible', I: 'ineligible', D: 'indeterminate' };
  var VERDICT_RANK = { E: 0, D: 1, I: 2 };
  var PAGE_SIZE = 50;
  var $ = function (id) { return document.getElementById(id); };

{% include "load-data.js" %}

  // How many criteria of a cell fail, are unknown, are left for review.
  function tally(statuses) {
    var n = { F: 0, U: 0, R: 0 };
    for (var i = 0; i < statuses.length; i++) { if (statuses[i] in n) { n[statuses[i]] += 1; } }
    return n;
  }

  function start(data) {
    var S = data.strings, patients = data.patients, trials = data.trials;
    var state = { trial: '', verdict: '', search: '', sort: 'id', dir: 1, page: 0, selected: null };
    var shown = [];
    var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
    var str = function (i) { return i >= 0 ? S[i] : null; };

    function compare(a, b) {
      var pa = patients[a], pb = patients[b], d = 0;
      if (state.sort !== 'id') {
        var k = Number(state.sort), ta = tally(pa[1][k][1]), tb = tally(pb[1][k][1]);
        d = VERDICT_RANK[pa[1][k][0]] - VERDICT_RANK[pb[1][k][0]] || ta.F - tb.F || ta.U - tb.U;
      }
      return d * state.dir || collator.compare(pa[0], pb[0]);
    }

    function refresh() {
      var k = state.trial === '' ? -1 : Number(state.trial), needle = state.search.toLowerCase();
      shown = [];
      for (var i = 0; i < patients.length; i++) {
        var p = patients[i];
        if (state.verdict && !(k >= 0 ? p[1][k][0] === state.verdict
                                      : p[1].some(function (cell) { return cell[0] === state.verdict; }))) { continue; }
        if (needle && p[0].toLowerCase().indexOf(needle) < 0) { continue; }
        shown.push(i);
      }
      shown.sort(compare);
      var pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
      state.page = Math.min(state.page, pages - 1);
      renderPage(pages);
    }

    function renderPage(pages) {
      var body = $('matrix-rows'), template = $('cell-template');
      var rows = document.createDocumentFragment();
      shown.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE).forEach(function (index) {
        var p = patients[index];
        var tr = document.createElement('tr'), th = document.createElement('th');
        th.scope = 'row';
        th.className = 'pid';
        th.textContent = p[0] + (p[2] ? ' (' + p[2] + ')' : '');
        tr.appendChild(th);
        p[1].forEach(function (cell, k) {
          var td = template.content.firstElementChild.cloneNode(true), n = tally(cell[1]);
          td.dataset.index = index;
          td.dataset.trial = k;
          td.title = p[0] + ' / ' + trials[k].trial;
          var v = td.querySelector('.verdict');
          v.textContent = VERDICT[cell[0]];
          v.className = 'verdict verdict-' + VERDICT[cell[0]];
          td.querySelector('.tally').textContent = n.F + '/' + n.U + '/' + n.R;
          td.querySelector('.tally').title = n.F + ' fail, ' + n.U + ' unknown, ' + n.R + ' review';
          if (state.selected && state.selected[0] === index && state.selected[1] === k) { td.classList.add('selected'); }
          tr.appendChild(td);
        });
        rows.appendChild(tr);
      });
      body.replaceChildren(rows);
      $('match-count').textContent = shown.length + ' of ' + patients.length + ' patients';
      $('page-info').textContent = 'page ' + (state.page + 1) + ' of ' + pages;
      $('prev-page').disabled = state.page === 0;
      $('next-page').disabled = state.page >= pages - 1;
      document.querySelectorAll('#matrix-table th[data-sort]').forEach(function (th) {
        if (th.dataset.sort === String(state.sort)) { th.setAttribute('aria-sort', state.dir > 0 ? 'ascending' : 'descending'); }
        else { th.removeAttribute('aria-sort'); }
      });
    }

    function showCell(index, k) {
      var patient = patients[index], cell = patient[1][k], n = tally(cell[1]);
      state.selected = [index, k];
      document.querySelectorAll('#matrix-rows td.selected').forEach(function (td) { td.classList.remove('selected'); });
      var td = document.querySelector('#matrix-rows td[data-index="' + index + '"][data-trial="' + k + '"]');
      if (td) { td.classList.add('selected'); }
      $('detail-empty').hidden = true;
      $('detail-body').hidden = false;
      $('detail-id').textContent = patient[0];
      $('detail-trial').textContent = trials[k].trial + (trials[k].title ? ' (' + trials[k].title + ')' : '');
      var v = $('detail-verdict');
      v.textContent = VERDICT[cell[0]];
      v.className = 'verdict verdict-' + VERDICT[cell[0]];
      $('detail-counts').textContent = n.F + ' fail, ' + n.U + ' unknown, ' + n.R + ' review';
      // The single-trial page's layout: p[3] the status letters, p[4] the details.
      var p = [patient[0], cell[0], null, cell[1], cell[2]], criteria = trials[k].criteria;
      {% include "criterion-rows.js" %}
      var hash = '#patient=' + encodeURIComponent(patient[0]) + '&trial=' + encodeURIComponent(trials[k].trial);
      if (location.hash !== hash) { history.replaceState(null, '', hash); }
    }

    function fromHash() {
      var match = /^#patient=([^&]*)(?:&trial=(.*))?$/.exec(location.hash);
      if (!match) { return; }
      var id = decodeURIComponent(match[1]), trial = match[2] === undefined ? null : decodeURIComponent(match[2]);
      var k = trial === null ? 0 : trials.findIndex(function (t) { return t.trial === trial; });
      if (k < 0) { return; }
      for (var i = 0; i < patients.length; i++) { if (patients[i][0] === id) { showCell(i, k); return; } }
    }

    function on(id, event, handler) { $(id).addEventListener(event, handler); }
    on('trial-filter', 'change', function (e) { state.trial = e.target.value; state.page = 0; refresh(); });
    on('verdict-filter', 'change', function (e) { state.verdict = e.target.value; state.page = 0; refresh(); });
    on('search', 'input', function (e) { state.search = e.target.value; state.page = 0; refresh(); });
    on('clear-filters', 'click', function () {
      ['trial-filter', 'verdict-filter', 'search'].forEach(function (id) { $(id).value = ''; });
      state.trial = state.verdict = state.search = ''; state.page = 0; refresh();
    });
    on('prev-page', 'click', function () { state.page -= 1; refresh(); });
    on('next-page', 'click', function () { state.page += 1; refresh(); });
    document.querySelectorAll('#matrix-table th[data-sort] button').forEach(function (button) {
      button.addEventListener('click', function () {
        var key = button.parentElement.dataset.sort;
        state.dir = state.sort === key ? -state.dir : (key === 'id' ? 1 : -1);
        state.sort = key; refresh();
      });
    });
    function pick(event) {
      var td = event.target.closest('td[data-index]');
      if (td && (event.type === 'click' || event.key === 'Enter')) {
        showCell(Number(td.dataset.index), Number(td.dataset.trial));
        $('detail').scrollIntoView({ block: 'nearest' });
      }
    }
    on('matrix-rows', 'click', pick);
    on('matrix-rows', 'keydown', pick);
    window.addEventListener('hashchange', fromHash);
    refresh();
    fromHash();
    document.body.dataset.ready = 'true';
  }

  load().then(start, function (error) {
    $('matrix-rows').textContent = 'The patient data could not be read: ' + error;
    throw error;
  });
}());
