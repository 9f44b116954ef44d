{# Shared by report.js and trials.js (included there): one patient's criteria rows from p[3] (status letters) and p[4] (details). #}
      var template = $('criterion-template'), rows = document.createDocumentFragment();
      criteria.forEach(function (criterion, c) {
        var detail = p[4][c], status = STATUS[p[3][c]];
        var tr = template.content.firstElementChild.cloneNode(true);
        tr.className = 'row-' + status;
        tr.querySelector('.cid').textContent = criterion.id + ' (' + criterion.kind + ')';
        tr.querySelector('.ctext').textContent = criterion.text;
        var badge = tr.querySelector('.status');
        badge.textContent = status;
        badge.className = 'status status-' + status;
        tr.querySelector('.explanation').textContent = str(detail[0]) || '';
        var list = tr.querySelector('.evidence');
        detail[1].forEach(function (e) {
          var li = document.createElement('li');
          li.textContent = [str(e[0]), str(e[1]), str(e[2])].filter(function (x) { return x; }).join(' · ');
          list.appendChild(li);
        });
        var next = tr.querySelector('.next-step');
        if (detail[2] >= 0) { next.textContent = S[detail[2]]; }
        else if (detail[2] === -1) { next.textContent = 'Nothing in the data changes it.'; next.classList.add('none'); }
        rows.appendChild(tr);
      });
      $('detail-rows').replaceChildren(rows);

