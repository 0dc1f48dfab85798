// 多渠道登记 and 交办表导入: Ctrl+Enter submits from the keyboard (the forms work without it).
// In the text: 生成草稿; elsewhere: the page's main button (登记, 确认导入, 预览).
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || !(e.ctrlKey || e.metaKey)) return;
    const target = e.target;
    let button = null;
    if (target && target.id === "text" && $("draft-btn")) button = $("draft-btn");
    else button = $("register-btn") || $("confirm-btn") || $("preview-btn") || $("draft-btn");
    if (button && !button.disabled) {
      e.preventDefault();
      button.click();
    }
  });
})();
