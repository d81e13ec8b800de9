// SQLocal's documented Vite setup (sqlocal.dev/guide/setup#vite-configuration).
import { defineConfig } from 'vite';
import sqlocal from 'sqlocal/vite';

export default defineConfig({ plugins: [sqlocal()] });
