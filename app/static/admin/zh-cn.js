/* Chinese for the bundled date pickers and select boxes (no locale files ship with Flask-Admin). */
(function () {
  if (window.moment && moment.defineLocale && !moment.locales().includes('zh-cn')) {
    moment.defineLocale('zh-cn', {
      months: '一月_二月_三月_四月_五月_六月_七月_八月_九月_十月_十一月_十二月'.split('_'),
      monthsShort: '1月_2月_3月_4月_5月_6月_7月_8月_9月_10月_11月_12月'.split('_'),
      weekdays: '星期日_星期一_星期二_星期三_星期四_星期五_星期六'.split('_'),
      weekdaysShort: '周日_周一_周二_周三_周四_周五_周六'.split('_'),
      weekdaysMin: '日_一_二_三_四_五_六'.split('_'),
      week: { dow: 1, doy: 4 }
    });
  }
  if (window.moment) { moment.locale('zh-cn'); }
  if (window.jQuery && jQuery.fn.daterangepicker) {
    var original = jQuery.fn.daterangepicker;
    jQuery.fn.daterangepicker = function (options, callback) {
      options = options || {};
      options.locale = jQuery.extend({
        applyLabel: '确定', cancelLabel: '取消', fromLabel: '从', toLabel: '到',
        customRangeLabel: '自定义', weekLabel: '周',
        daysOfWeek: ['日', '一', '二', '三', '四', '五', '六'],
        monthNames: ['1月', '2月', '3月', '4月', '5月', '6月', '7月', '8月', '9月', '10月', '11月', '12月'],
        firstDay: 1
      }, options.locale || {});
      return original.call(this, options, callback);
    };
  }
})();
