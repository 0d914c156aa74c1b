// The nginx configuration of the qsen benchmark: a plain mutual-TLS reverse proxy in front of
// the simulator, with the same TLS policy on the front (cluster CA, client certificate
// required) and the agent's certificate on the upstream leg, keep-alive on both legs. One
// server block per route { port, upstreamPort }: the simulator and the minimal stand-in of
// bench/qsen/stand-in.mjs.

/** Renders nginx.conf for a prefix folder, the state folder, the routes and the agent's key file. */
export function renderNginxConf({ prefix, home, routes, agentKey }) {
  return `daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  keepalive_requests 100000;
${routes.map(({ port, upstreamPort }, i) => renderRoute({ home, port, upstreamPort, agentKey, name: `senebi${i}` })).join('')}}
`;
}

function renderRoute({ home, port, upstreamPort, agentKey, name }) {
  return `  upstream ${name} {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate ${home}/pki/server.crt;
    ssl_certificate_key ${home}/pki/server.key;
    ssl_client_certificate ${home}/pki/ca.crt;
    ssl_crl ${home}/pki/crl.pem;
    ssl_verify_client on;
    client_max_body_size 64k;
    location / {
      proxy_pass https://${name};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_ssl_certificate ${home}/senebi/agent.crt;
      proxy_ssl_certificate_key ${agentKey};
      proxy_ssl_trusted_certificate ${home}/senebi/ca.crt;
      proxy_ssl_verify on;
      proxy_ssl_name localhost;
      proxy_ssl_session_reuse on;
    }
  }
`;
}
