// The conflict inbox: "Chọn tất cả cùng loại" ticks every conflict of the same record type and
// field on the page. Without JavaScript the buttons stay hidden and each box is ticked by hand.
"use strict";
document.querySelectorAll("button.select-kind").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => {
    document.querySelectorAll('input[name="ids"]').forEach((box) => {
      if (box.dataset.kind === button.dataset.kind) box.checked = true;
    });
  });
});
