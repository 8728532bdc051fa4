/*
 * Endpoint pages (templates/endpoints/*, and the designer's Publish dialog): small, dependency-free.
 *
 * - [data-dialog-open="ID"] opens <dialog id=ID>; [data-dialog-close] closes it.
 * - [data-copy="#selector"] copies an input's value or an element's text.
 * - select[data-autosubmit] submits its form on change.
 * - form[data-try-it] runs the endpoint through POST /api/v1/endpoints/<name>/runs with the session
 *   and CSRF token, shows the 400 body's `errors` at their fields, and keeps the curl and Python
 *   snippets ([data-snippet]) in step with the values.
 * - tbody[data-runs] polls the endpoint's invocations every 2 s and redraws the recent runs.
 */
(function () {
  'use strict';

  var POLL_MS = 2000;
  var KEY_PLACEHOLDER = '<YOUR-KEY>';

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  /** An element with attributes and children (strings become text: nothing here is parsed as HTML). */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (attrs[name] !== null && attrs[name] !== undefined) node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  function csrfToken(form) {
    var input = $('input[name="csrfmiddlewaretoken"]', form);
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : '';
  }

  function shown(value) {
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  function ago(iso) {
    var seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    if (seconds < 60) return seconds + '\u00a0s ago';
    if (seconds < 3600) return Math.floor(seconds / 60) + '\u00a0min ago';
    if (seconds < 86400) return Math.floor(seconds / 3600) + '\u00a0h ago';
    return Math.floor(seconds / 86400) + '\u00a0d ago';
  }

  // --- dialogs and copy buttons ------------------------------------------------------------------

  function endpointName(text) {
    return text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-{2,}/g, '-').replace(/^-+|-+$/g, '').slice(0, 100);
  }

  function fillEndpointNames(datalist) {
    if (datalist.dataset.filled) return;
    datalist.dataset.filled = '1';
    fetch('/api/v1/endpoints/', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (body) {
        (body.results || []).forEach(function (endpoint) {
          datalist.appendChild(el('option', { value: endpoint.name }));
        });
      })
      .catch(function () { /* the name can still be typed */ });
  }

  function setUpDialogs() {
    $all('[data-dialog-open]').forEach(function (button) {
      button.addEventListener('click', function () {
        var dialog = document.getElementById(button.dataset.dialogOpen);
        if (!dialog) return;
        var name = $('input[name="name"]', dialog);
        if (name && !name.dataset.touched) name.value = endpointName(name.value);
        $all('datalist[data-endpoint-names]', dialog).forEach(fillEndpointNames);
        if (typeof dialog.showModal === 'function') dialog.showModal();
        else dialog.setAttribute('open', '');
        if (name) name.focus();
      });
    });
    $all('dialog input[name="name"]').forEach(function (input) {
      input.addEventListener('input', function () { input.dataset.touched = '1'; });
    });
    $all('[data-dialog-close]').forEach(function (button) {
      button.addEventListener('click', function () {
        var dialog = button.closest('dialog');
        if (dialog) dialog.close();
      });
    });
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    var area = el('textarea', { readonly: '', style: 'position:fixed;left:-9999px' }, [text]);
    document.body.appendChild(area);
    area.select();
    try { document.execCommand('copy'); } finally { area.remove(); }
    return Promise.resolve();
  }

  function setUpCopyButtons() {
    $all('[data-copy]').forEach(function (button) {
      button.addEventListener('click', function () {
        var target = $(button.dataset.copy);
        if (!target) return;
        var text = typeof target.value === 'string' ? target.value : target.textContent;
        if (target.select) target.select();
        copyText(text).then(function () {
          var label = button.textContent;
          button.textContent = 'Copied';
          setTimeout(function () { button.textContent = label; }, 1500);
        });
      });
    });
    $all('select[data-autosubmit]').forEach(function (select) {
      select.addEventListener('change', function () {
        var form = select.form;
        form.action = window.location.pathname + '#try-it';
        form.submit();
      });
    });
  }

  // --- snippets (endpoints/views.py `snippets` writes the same text) ------------------------------

  function pythonLiteral(value, indent) {
    var pad = new Array(indent + 1).join(' ');
    if (value === null || value === undefined) return 'None';
    if (value === true) return 'True';
    if (value === false) return 'False';
    if (Array.isArray(value)) return '[' + value.map(function (item) { return pythonLiteral(item, indent); }).join(', ') + ']';
    if (typeof value === 'object') {
      var keys = Object.keys(value);
      if (!keys.length) return '{}';
      return '{\n' + keys.map(function (key) {
        return pad + '    ' + JSON.stringify(String(key)) + ': ' + pythonLiteral(value[key], indent + 4) + ',';
      }).join('\n') + '\n' + pad + '}';
    }
    return JSON.stringify(value);
  }

  function snippets(url, body) {
    var data = JSON.stringify(body, null, 2).replace(/'/g, "'\\''");
    return {
      curl: "curl -X POST '" + url + "' \\\n" +
        "  -H 'Authorization: Bearer " + KEY_PLACEHOLDER + "' \\\n" +
        "  -H 'Content-Type: application/json' \\\n" +
        "  -d '" + data + "'",
      python: 'import requests\n\n' +
        'response = requests.post(\n' +
        '    ' + JSON.stringify(url) + ',\n' +
        '    headers={"Authorization": "Bearer ' + KEY_PLACEHOLDER + '"},\n' +
        '    json=' + pythonLiteral(body, 4) + ',\n' +
        '    timeout=30,\n' +
        ')\n' +
        'response.raise_for_status()\n' +
        'run = response.json()\n' +
        'print(run["Id"], run["Status"], run["StatusUrl"])',
    };
  }

  // --- Try it ------------------------------------------------------------------------------------

  function dataChoices() {
    var script = document.getElementById('endpoint-data-choices');
    try { return script ? JSON.parse(script.textContent) : {}; } catch (error) { return {}; }
  }

  /** {body, problems}: the invocation body from the form, and what the browser already knows is wrong. */
  function readBody(form) {
    var parameters = {};
    var data = {};
    var problems = {};
    $all('[data-param]', form).forEach(function (input) {
      var name = input.dataset.param;
      var clear = $all('[data-clear]', form).filter(function (box) { return box.dataset.clear === name; })[0];
      if (clear && clear.checked) { parameters[name] = null; return; }
      if (input.type === 'checkbox') { parameters[name] = input.checked; return; }
      if (input.tagName === 'SELECT') {
        if (input.value !== '') parameters[name] = JSON.parse(input.value);
        return;
      }
      if (input.type === 'number') {
        if (input.validity && input.validity.badInput) {
          problems['ParameterAssignments.' + name] = ['is not a number'];
          return;
        }
        if (input.value !== '') parameters[name] = Number(input.value);
        return;
      }
      if (input.value !== '') parameters[name] = input.value;
    });
    $all('[data-data-param]', form).forEach(function (select) {
      if (!select.value) return;
      var name = select.dataset.dataParam;
      var version = $all('[data-version-for]', form).filter(function (s) { return s.dataset.versionFor === name; })[0];
      data[name] = version && version.value
        ? { DataAssetName: select.value, Version: version.value }
        : { DataAssetName: select.value };
    });
    var body = {};
    var experiment = $('[data-experiment]', form);
    if (experiment && experiment.value.trim()) body.ExperimentName = experiment.value.trim();
    if (Object.keys(parameters).length) body.ParameterAssignments = parameters;
    if (Object.keys(data).length) body.DataPathAssignments = data;
    return { body: body, problems: problems };
  }

  function clearErrors(form) {
    $all('[data-error-for]', form).forEach(function (p) { p.hidden = true; p.textContent = ''; });
    $all('[aria-invalid]', form).forEach(function (input) { input.removeAttribute('aria-invalid'); });
    var box = $('[data-try-errors]', form);
    box.hidden = true;
    box.textContent = '';
  }

  function cleanMessage(message) {
    return String(message).replace(/ \(request body(:\d+)?\)$/, '');
  }

  /** Put each `errors` entry at its field (the longest key that has one), the rest in the box. */
  function showErrors(form, detail, errors) {
    var slots = $all('[data-error-for]', form);
    var loose = [];
    Object.keys(errors || {}).forEach(function (key) {
      var messages = [].concat(errors[key]).map(cleanMessage);
      var slot = slots
        .filter(function (p) { var at = p.dataset.errorFor; return key === at || key.indexOf(at + '.') === 0; })
        .sort(function (a, b) { return b.dataset.errorFor.length - a.dataset.errorFor.length; })[0];
      if (!slot) {
        messages.forEach(function (message) { loose.push(key ? key + ': ' + message : message); });
        return;
      }
      slot.textContent = (slot.textContent ? slot.textContent + ' ' : '') + messages.join(' ');
      slot.hidden = false;
      var field = slot.closest('.try-field');
      $all('input:not([type="checkbox"]), select', field).forEach(function (input) {
        input.setAttribute('aria-invalid', 'true');
      });
    });
    if (!Object.keys(errors || {}).length && detail) loose.push(detail);
    if (loose.length) {
      var box = $('[data-try-errors]', form);
      box.appendChild(el('p', {}, [el('strong', {}, ['The endpoint refused the run:'])]));
      box.appendChild(el('ul', {}, loose.map(function (text) { return el('li', {}, [text]); })));
      box.hidden = false;
    }
  }

  function setUpTryIt(onRun) {
    var form = $('form[data-try-it]');
    if (!form) return;
    var url = form.dataset.url;
    var choices = dataChoices();

    function refreshSnippets() {
      var text = snippets(url, readBody(form).body);
      $all('[data-snippet]').forEach(function (code) { code.textContent = text[code.dataset.snippet]; });
    }

    $all('[data-clear]', form).forEach(function (box) {
      box.addEventListener('change', function () {
        $all('[data-param]', form)
          .filter(function (input) { return input.dataset.param === box.dataset.clear; })
          .forEach(function (input) { input.disabled = box.checked; });
      });
    });
    $all('[data-data-param]', form).forEach(function (select) {
      select.addEventListener('change', function () {
        var version = $all('[data-version-for]', form).filter(function (s) { return s.dataset.versionFor === select.dataset.dataParam; })[0];
        if (!version) return;
        version.textContent = '';
        version.appendChild(el('option', { value: '' }, ['latest']));
        var versions = ((choices[select.dataset.dataType] || {})[select.value]) || [];
        versions.forEach(function (v) { version.appendChild(el('option', { value: v }, [v])); });
        version.disabled = !select.value;
      });
    });
    form.addEventListener('input', refreshSnippets);
    form.addEventListener('change', refreshSnippets);

    form.addEventListener('submit', function (event) {
      event.preventDefault();
      clearErrors(form);
      var result = $('[data-try-result]', form);
      var read = readBody(form);
      if (Object.keys(read.problems).length) {
        showErrors(form, '', read.problems);
        return;
      }
      var button = $('[data-try-run]', form);
      button.disabled = true;
      result.textContent = 'Starting…';
      fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': csrfToken(form) },
        body: JSON.stringify(read.body),
      })
        .then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (body) {
            return { status: response.status, body: body };
          });
        })
        .then(function (answer) {
          result.textContent = '';
          if (answer.status === 201 || answer.status === 200) {
            var run = answer.body;
            result.appendChild(document.createTextNode('Run '));
            result.appendChild(el('a', { href: run.Url, 'data-run-link': run.Id }, [run.Id]));
            result.appendChild(document.createTextNode(' started (' + run.Status + '); follow it in the recent runs.'));
            onRun(run.Id);
            return;
          }
          var detail = answer.body.detail || ('The endpoint answered ' + answer.status + '.');
          showErrors(form, detail, answer.status === 400 ? answer.body.errors : null);
          result.textContent = answer.status === 400 ? 'Nothing ran: fix the marked fields.' : '';
        })
        .catch(function (error) {
          result.textContent = 'The request failed: ' + error.message;
        })
        .then(function () { button.disabled = false; });
    });
  }

  // --- recent runs -------------------------------------------------------------------------------

  function runRow(row, isNew) {
    var job = row.job;
    var status = job
      ? el('span', { class: 'badge badge--' + job.status.toLowerCase(), 'data-run-status': '' }, [job.status])
      : el('span', {
        class: 'badge badge--failed',
        title: (row.problems || []).map(function (p) { return p.field + ': ' + p.message; }).join('\n'),
      }, ['Refused ' + row.status_code]);
    var by = row.key
      ? el('span', {}, ['key ' + row.key.name + ' ', el('code', { class: 'small' }, [row.key.prefix + '…'])])
      : document.createTextNode(row.user || '—');
    var sent = row.parameters && typeof row.parameters === 'object' && !Array.isArray(row.parameters) ? row.parameters : {};
    var names = Object.keys(sent);
    var parameters = names.length
      ? el('ul', { class: 'chips' }, names.map(function (name) {
        return el('li', { class: 'chip chip--mono' }, [el('span', { class: 'chip-key' }, [name]), shown(sent[name])]);
      }))
      : el('span', { class: 'muted' }, ['defaults']);
    return el('tr', { 'data-run': job ? job.id : '', class: isNew ? 'is-new' : null }, [
      el('td', { class: 'nowrap' }, [el('time', { datetime: row.created_at }, [ago(row.created_at)])]),
      el('td', {}, [job ? el('a', { href: job.url }, [el('code', {}, [job.id])]) : el('span', { class: 'muted' }, ['not run'])]),
      el('td', {}, [status]),
      el('td', { class: 'num' }, [row.version ? 'v' + row.version : '—']),
      el('td', {}, [by]),
      el('td', {}, [parameters]),
    ]);
  }

  function setUpRuns() {
    var body = $('tbody[data-runs]');
    if (!body) return function () {};
    var stamp = $('[data-runs-updated]');
    var seen = {};
    $all('tr[data-run]', body).forEach(function (tr) { seen[tr.dataset.run] = true; });
    var timer = null;
    var inFlight = false;
    var again = false;

    function render(rows) {
      body.textContent = '';
      if (!rows.length) {
        body.appendChild(el('tr', { class: 'runs-empty' }, [
          el('td', { colspan: '6', class: 'muted' }, ['No runs yet. Use “Try it” above, or call the endpoint with a key.']),
        ]));
      }
      rows.forEach(function (row) {
        var id = row.job ? row.job.id : 'refused-' + row.id;
        body.appendChild(runRow(row, !seen[id] && !!row.job));
        seen[id] = true;
      });
      if (stamp) stamp.textContent = 'live · updated ' + new Date().toLocaleTimeString();
    }

    function poll() {
      clearTimeout(timer);
      if (inFlight) {
        again = true;
        return;
      }
      if (document.hidden) {
        timer = setTimeout(poll, POLL_MS);
        return;
      }
      inFlight = true;
      fetch(body.dataset.url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (response) {
          if (!response.ok) throw new Error('HTTP ' + response.status);
          return response.json();
        })
        .then(function (answer) { render(answer.results || []); })
        .catch(function () { if (stamp) stamp.textContent = 'live updates paused: cannot reach the server'; })
        .then(function () {
          inFlight = false;
          timer = setTimeout(poll, again ? 0 : POLL_MS);
          again = false;
        });
    }

    timer = setTimeout(poll, POLL_MS);
    return poll;
  }

  function start() {
    setUpDialogs();
    setUpCopyButtons();
    var refreshRuns = setUpRuns();
    setUpTryIt(function () { refreshRuns(); });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
