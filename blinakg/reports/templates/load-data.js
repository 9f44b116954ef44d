{# Shared by report.js and trials.js (included there): read the data script, gzipped or not. #}
  function load() {
    var node = $('patients-data');
    if (node.type === 'application/json') { return Promise.resolve(JSON.parse(node.textContent)); }
    // Large cohorts: gzip + base64, inflated by the browser itself.
    var binary = atob(node.textContent.trim());
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).text().then(JSON.parse);
  }

