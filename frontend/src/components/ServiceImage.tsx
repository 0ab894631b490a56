import { useEffect, useState, type ImgHTMLAttributes } from "react";
import { apiKey } from "../api/client";

type Props = Omit<ImgHTMLAttributes<HTMLImageElement>, "src"> & { src: string };

/**
 * A picture the service makes (thumbnail, preview, face). A plain `<img>`; but a service with an API key
 * wants the key on reads too, which an `<img>` cannot send: then the picture is fetched with the key and
 * shown from memory.
 */
export function ServiceImage({ src, alt, ...rest }: Props) {
  const key = apiKey();
  const [blobUrl, setBlobUrl] = useState<string | null>(null);

  useEffect(() => {
    if (!key) return;
    let url: string | null = null;
    let cancelled = false;
    void globalThis
      .fetch(src, { headers: { "X-API-Key": key } })
      .then((r) => (r.ok ? r.blob() : null))
      .then((blob) => {
        if (!blob || cancelled) return;
        url = URL.createObjectURL(blob);
        setBlobUrl(url);
      })
      .catch(() => undefined); // shown as its alt text, like a broken <img>
    return () => {
      cancelled = true;
      if (url) URL.revokeObjectURL(url);
      setBlobUrl(null);
    };
  }, [src, key]);

  if (!key) return <img src={src} alt={alt} {...rest} />;
  return blobUrl ? <img src={blobUrl} alt={alt} {...rest} /> : <img alt={alt} {...rest} />;
}
