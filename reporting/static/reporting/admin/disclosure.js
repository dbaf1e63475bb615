/* The disclosure decision form: when the incident changes, the obligation list is refilled with that incident's
   obligations only (the form accepts no other). */
"use strict";
(function ($) {
  $(function () {
    var incident = $("#id_incident");
    var obligation = $("#id_obligation");
    var url = obligation.data("obligations-url");
    if (!incident.length || !obligation.length || !url) { return; }
    incident.on("change", function () {
      var chosen = incident.val();
      obligation.empty().append($("<option>").val("").text("---------"));
      if (!chosen) { return; }
      $.getJSON(url, {incident: chosen}).done(function (data) {
        data.results.forEach(function (item) {
          obligation.append($("<option>").val(item.id).text(item.text));
        });
      });
    });
  });
}(django.jQuery));
