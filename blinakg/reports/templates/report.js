// The patient table and detail of the blinakg HTML report. The data is read
// once from #patients-data; only one page of rows and one patient's detail are
// in the DOM at a time. Text goes in with textContent: never parsed as HTML.
(function () {
  'use strict';
  var STATUS = { P: 'pass', F: 'fail', U: 'unknown', R: 'review' };
  var VERDICT = { E: 'eligible', I: 'ineligible', D: 'indeterminate' };
  var VERDICT_RANK = { E: 0, D: 1, I: 2 };
  var STATUS_RANK = { P: 0, R: 1, U: 2, F: 3 };
  var PAGE_SIZE = 50;
  var $ = function (id) { return document.getElementById(id); };

{% include "load-data.js" %}

  function start(data) {
    var S = data.strings, patients = data.patients, criteria = data.criteria;
    var state = { verdict: '', criterion: '', status: '', search: '', sort: 'id', dir: 1, page: 0, selected: null };
    var shown = [];
    var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
    var str = function (i) { return i >= 0 ? S[i] : null; };

    function compare(a, b) {
      var pa = patients[a], pb = patients[b], d = 0;
      if (state.sort === 'id') { d = collator.compare(pa[0], pb[0]); }
      else if (state.sort === 'verdict') { d = VERDICT_RANK[pa[1]] - VERDICT_RANK[pb[1]]; }
      else if (state.sort === 'earliest') {
        d = (pa[2] === null) - (pb[2] === null) || (pa[2] || '').localeCompare(pb[2] || '');
        if ((pa[2] === null) !== (pb[2] === null)) { return d; }  // patients without a date stay last
      } else {
        var k = Number(state.sort);
        d = STATUS_RANK[pa[3][k]] - STATUS_RANK[pb[3][k]];
      }
      return d * state.dir || collator.compare(pa[0], pb[0]);
    }

    function refresh() {
      var k = state.criterion === '' ? -1 : Number(state.criterion), needle = state.search.toLowerCase();
      shown = [];
      for (var i = 0; i < patients.length; i++) {
        var p = patients[i];
        if (state.verdict && p[1] !== state.verdict) { continue; }
        if (state.status) {
          if (k >= 0 ? p[3][k] !== state.status : p[3].indexOf(state.status) < 0) { continue; }
        }
        if (needle && p[0].toLowerCase().indexOf(needle) < 0) { continue; }
        shown.push(i);
      }
      shown.sort(compare);
      var pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
      state.page = Math.min(state.page, pages - 1);
      renderPage(pages);
    }

    function renderPage(pages) {
      var body = $('patient-rows'), template = $('row-template');
      var rows = document.createDocumentFragment();
      shown.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE).forEach(function (index) {
        var p = patients[index];
        var tr = template.content.firstElementChild.cloneNode(true);
        tr.dataset.index = index;
        tr.querySelector('.pid').textContent = p[0];
        var v = tr.querySelector('.verdict');
        v.textContent = VERDICT[p[1]];
        v.className = 'verdict verdict-' + VERDICT[p[1]];
        if (p[5]) { v.textContent += ' · ' + p[5]; v.title = 'The record states a death on or before D.'; }
        tr.querySelector('.earliest').textContent = p[2] || '—';
        for (var c = 0; c < p[3].length; c++) {
          var td = document.createElement('td'), span = document.createElement('span');
          td.className = 'crit';
          span.className = 'status status-' + STATUS[p[3][c]];
          span.textContent = p[3][c];
          span.title = criteria[c].id + ': ' + STATUS[p[3][c]];
          td.appendChild(span);
          tr.appendChild(td);
        }
        if (index === state.selected) { tr.classList.add('selected'); }
        rows.appendChild(tr);
      });
      body.replaceChildren(rows);
      $('match-count').textContent = shown.length + ' of ' + patients.length + ' patients';
      $('page-info').textContent = 'page ' + (state.page + 1) + ' of ' + pages;
      $('prev-page').disabled = state.page === 0;
      $('next-page').disabled = state.page >= pages - 1;
      document.querySelectorAll('#patient-table th[data-sort]').forEach(function (th) {
        if (th.dataset.sort === String(state.sort)) { th.setAttribute('aria-sort', state.dir > 0 ? 'ascending' : 'descending'); }
        else { th.removeAttribute('aria-sort'); }
      });
    }

    function showPatient(index) {
      var p = patients[index];
      state.selected = index;
      document.querySelectorAll('#patient-rows tr.selected').forEach(function (tr) { tr.classList.remove('selected'); });
      var row = document.querySelector('#patient-rows tr[data-index="' + index + '"]');
      if (row) { row.classList.add('selected'); }
      $('detail-empty').hidden = true;
      $('detail-body').hidden = false;
      $('detail-id').textContent = p[0];
      var v = $('detail-verdict');
      v.textContent = VERDICT[p[1]];
      v.className = 'verdict verdict-' + VERDICT[p[1]];
      $('detail-earliest').textContent = p[2] || 'none';
      {% include "criterion-rows.js" %}
      if (location.hash !== '#patient=' + encodeURIComponent(p[0])) {
        history.replaceState(null, '', '#patient=' + encodeURIComponent(p[0]));
      }
    }

    function fromHash() {
      var match = /^#patient=(.*)$/.exec(location.hash);
      if (!match) { return; }
      var id = decodeURIComponent(match[1]);
      for (var i = 0; i < patients.length; i++) { if (patients[i][0] === id) { showPatient(i); return; } }
    }

    function on(id, event, handler) { $(id).addEventListener(event, handler); }
    on('verdict-filter', 'change', function (e) { state.verdict = e.target.value; state.page = 0; refresh(); });
    on('criterion-filter', 'change', function (e) { state.criterion = e.target.value; state.page = 0; refresh(); });
    on('status-filter', 'change', function (e) { state.status = e.target.value; state.page = 0; refresh(); });
    on('search', 'input', function (e) { state.search = e.target.value; state.page = 0; refresh(); });
    on('clear-filters', 'click', function () {
      ['verdict-filter', 'criterion-filter', 'status-filter', 'search'].forEach(function (id) { $(id).value = ''; });
      state.verdict = state.criterion = state.status = state.search = ''; state.page = 0; refresh();
    });
    on('prev-page', 'click', function () { state.page -= 1; refresh(); });
    on('next-page', 'click', function () { state.page += 1; refresh(); });
    document.querySelectorAll('#patient-table th[data-sort] button').forEach(function (button) {
      button.addEventListener('click', function () {
        var key = button.parentElement.dataset.sort;
        state.dir = state.sort === key ? -state.dir : (key === 'id' || key === 'earliest' ? 1 : -1);
        state.sort = key; refresh();
      });
    });
    function pick(event) {
      var tr = event.target.closest('tr[data-index]');
      if (tr && (event.type === 'click' || event.key === 'Enter')) { showPatient(Number(tr.dataset.index)); $('detail').scrollIntoView({ block: 'nearest' }); }
    }
    on('patient-rows', 'click', pick);
    on('patient-rows', 'keydown', pick);
    document.querySelectorAll('#attrition-chart .seg').forEach(function (seg) {
      seg.addEventListener('click', function () {
        var k = criteria.findIndex(function (c) { return c.id === seg.dataset.criterion; });
        var code = Object.keys(STATUS).find(function (s) { return STATUS[s] === seg.dataset.status; });
        $('criterion-filter').value = state.criterion = String(k);
        $('status-filter').value = state.status = code;
        state.page = 0; refresh();
        $('patients').scrollIntoView({ block: 'start' });
      });
    });
    window.addEventListener('hashchange', fromHash);
    refresh();
    fromHash();
    document.body.dataset.ready = 'true';
  }

  load().then(start, function (error) {
    $('patient-rows').textContent = 'The patient data could not be read: ' + error;
    throw error;
  });
}());
