/* Portal helpers: the SMS code countdown and the work-unit search. No outside libraries. */
(function () {
  // the profile's tab strip scrolls at phone widths: bring the current tab into view
  function showActiveTab() {
    var strip = document.querySelector('.profile-tabs');
    var active = strip && strip.querySelector('.nav-link.active');
    if (!active) { return; }
    var offset = active.getBoundingClientRect().left - strip.getBoundingClientRect().left + strip.scrollLeft;
    strip.scrollLeft = Math.max(0, offset - (strip.clientWidth - active.offsetWidth) / 2);
  }
  showActiveTab();
  window.addEventListener('load', showActiveTab);

  // 区县: the city first, then one of its counties (the server groups the counties by city; without this
  // script the grouped list still works)
  var county = document.getElementById('region_id');
  var cityOf = {};
  var groups = {};
  var city = null;
  function showCity(name) {
    county.querySelectorAll('optgroup').forEach(function (group) { group.remove(); });
    if (groups[name]) { county.appendChild(groups[name]); }
  }
  function chooseCounty(value) {
    if (!county) { return; }
    if (city && cityOf[value]) { city.value = cityOf[value]; showCity(cityOf[value]); }
    county.value = value;
  }
  if (county && county.querySelector('optgroup')) {
    city = document.createElement('select');
    city.className = 'custom-select mb-2';
    city.id = 'region_city';
    city.setAttribute('aria-label', county.getAttribute('data-city-label') || '');
    var placeholder = document.createElement('option');
    placeholder.value = '';
    placeholder.textContent = county.getAttribute('data-city-placeholder') || '';
    city.appendChild(placeholder);
    county.querySelectorAll('optgroup').forEach(function (group) {
      var name = group.getAttribute('label');
      groups[name] = group;
      group.querySelectorAll('option').forEach(function (option) { cityOf[option.value] = name; });
      var option = document.createElement('option');
      option.value = name;
      option.textContent = name;
      city.appendChild(option);
    });
    county.parentNode.insertBefore(city, county);
    var chosen = county.value;
    showCity(cityOf[chosen] || '');
    if (cityOf[chosen]) { city.value = cityOf[chosen]; county.value = chosen; }
    city.addEventListener('change', function () { showCity(city.value); county.value = ''; });
  }

  // a folded exemption claim opens when the address names it (back from an upload or a save)
  function openNamedClaim() {
    var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
    if (target && target.tagName === 'DETAILS') { target.open = true; target.scrollIntoView(); }
  }
  openNamedClaim();
  window.addEventListener('hashchange', openNamedClaim);

  document.addEventListener('change', function (event) {
    var input = event.target;
    if (!input.matches || !input.matches('.file-pick input[type=file]')) { return; }
    var name = input.parentNode.nextElementSibling;
    if (name) { name.textContent = input.files.length ? input.files[0].name : name.getAttribute('data-empty'); }
  });

  document.querySelectorAll('.js-code-button').forEach(function (button) {
    var left = parseInt(button.getAttribute('data-wait') || '0', 10);
    var label = button.getAttribute('data-label');
    var waitLabel = button.getAttribute('data-wait-label');
    function tick() {
      if (left > 0) {
        button.disabled = true;
        button.textContent = waitLabel.replace('__S__', left);
        left -= 1;
        setTimeout(tick, 1000);
      } else {
        button.disabled = false;
        button.textContent = label;
      }
    }
    tick();
  });

  var unit = document.getElementById('unit_name');
  var list = document.getElementById('unit-suggestions');
  if (unit && list) {
    var hidden = document.getElementById('institution_id');
    var level = document.getElementById('unit-level-group');  // a typed unit's level and kind
    var picked = document.getElementById('unit-picked');
    var timer = null;
    function showLevel() {  // for a typed name, or while the two fields carry an error
      var typed = !hidden.value && (unit.value.trim() || (level && level.querySelector('.is-invalid')));
      if (level) { level.style.display = typed ? '' : 'none'; }
      if (picked) { picked.hidden = !hidden.value; }
    }
    unit.addEventListener('input', function () {
      hidden.value = '';
      showLevel();
      clearTimeout(timer);
      var term = unit.value.trim();
      if (term.length < 2) { list.innerHTML = ''; return; }
      timer = setTimeout(function () {
        fetch(list.getAttribute('data-url') + '?q=' + encodeURIComponent(term), {credentials: 'same-origin'})
          .then(function (r) { return r.json(); })
          .then(function (rows) {
            list.innerHTML = '';
            rows.forEach(function (row) {
              var item = document.createElement('button');
              item.type = 'button';
              item.className = 'list-group-item list-group-item-action';
              var details = row.region + ' · ' + row.level + ' · ' + row.kind;
              item.textContent = row.name + '（' + details + '）';
              item.addEventListener('click', function () {
                unit.value = row.name;
                hidden.value = row.id;
                if (picked) { picked.querySelector('span').textContent = details; }
                chooseCounty(String(row.region_id));
                list.innerHTML = '';
                showLevel();
              });
              list.appendChild(item);
            });
          });
      }, 250);
    });
    showLevel();
  }
})();

// 住培 choices: each specialty list offers only the chosen base's specialties (the server checks again)
(function () {
  var form = document.getElementById("residency-choices");
  if (!form) return;
  var base = form.querySelector("#base_id");
  var selects = form.querySelectorAll(".js-specialty");
  function filter() {
    selects.forEach(function (select) {
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.dataset.base) return;
        var show = option.dataset.base === base.value;
        option.hidden = !show;
        option.disabled = !show;
        if (!show && option.selected) select.value = "";
      });
    });
  }
  base.addEventListener("change", filter);
  filter();
})();

// 住培 identity: the commissioning unit only for 单位委派
(function () {
  var box = document.getElementById("commissioning-unit");
  if (!box) return;
  var radios = document.querySelectorAll('input[name="identity"]');
  function toggle() {
    var checked = document.querySelector('input[name="identity"]:checked');
    box.hidden = !(checked && checked.value === "commissioned");
  }
  radios.forEach(function (radio) { radio.addEventListener("change", toggle); });
  toggle();
})();
