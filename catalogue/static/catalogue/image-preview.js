// The product form: a preview of the picture chosen for upload, before it is saved.
document.addEventListener('DOMContentLoaded', () => {
  const input = document.getElementById('id_image');
  if (!input) return;
  const preview = document.createElement('img');
  preview.className = 'picture-preview picture-chosen';
  preview.alt = 'The chosen picture';
  preview.hidden = true;
  input.after(preview);
  input.addEventListener('change', () => {
    const [file] = input.files;
    preview.hidden = !file;
    if (!file) return;
    const reader = new FileReader();
    reader.addEventListener('load', () => { preview.src = reader.result; });
    reader.readAsDataURL(file);
  });
});
