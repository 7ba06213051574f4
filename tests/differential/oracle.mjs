#!/usr/bin/env node
// Oracle for iamd's differential test: decides every request of an iamd-workload/1 document
// with @cloud-copilot/iam-simulate (pinned in package.json) and prints one JSON line per request.
//
// iam-simulate is AGPL-licensed. This script only *calls* it as an external process; nothing of
// its code or fixtures is copied into the repository.
//
// Usage: node oracle.mjs WORKLOAD.json > decisions.jsonl
//
// Each output line is
//   {"id": ..., "decision": "Allowed"|"ExplicitlyDenied"|"ImplicitlyDenied"|"Error",
//    "error": null|"<message>", "ignored": ["<context key>", ...]}
// "ignored" lists the context keys iam-simulate dropped because they do not apply to the
// action/resource type: the workload format defines `context` as exactly what the oracle
// evaluated, so the caller removes these keys before handing the request to iamd.

import { readFileSync } from 'node:fs'
import { runSimulation } from '@cloud-copilot/iam-simulate'

// Organization identifiers are informational for iam-simulate; levels are ordered root first.
function orgIdentifier(index, count, account) {
  if (index === 0) return 'r-root'
  if (index === count - 1) return account
  return `ou-root-level${index}`
}

function controlPolicies(levels, account, prefix) {
  // RCPFullAWSAccess is NOT added here: iam-simulate attaches it to every RCP level itself
  // (simulationEngine DEFAULT_RCP), which is exactly the workload format's convention.
  return (levels ?? []).map((docs, index) => ({
    orgIdentifier: orgIdentifier(index, levels.length, account),
    policies: docs.map((policy, n) => ({ name: `${prefix}-${index}-${n}`, policy }))
  }))
}

function accountOf(arn) {
  const fields = String(arn).split(':')
  return fields.length >= 6 && /^\d{12}$/.test(fields[4]) ? fields[4] : '111111111111'
}

function simulationFor(set, request) {
  const principalAccount = accountOf(request.principal)
  const resourceAccount = request.resource_account ?? principalAccount
  const simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource ?? '*', accountId: resourceAccount },
      contextVariables: request.context ?? {}
    },
    identityPolicies: (set.identity ?? []).map((policy, n) => ({ name: `identity-${n}`, policy })),
    serviceControlPolicies: controlPolicies(set.scp, principalAccount, 'scp'),
    resourceControlPolicies: controlPolicies(set.rcp, resourceAccount, 'rcp')
  }
  if (set.boundary && set.boundary.length > 0) {
    simulation.permissionBoundaryPolicies = set.boundary.map((policy, n) => ({
      name: `boundary-${n}`,
      policy
    }))
  }
  if (set.session && set.session.length > 0) {
    simulation.sessionPolicy = set.session[0]
  }
  if (set.resource) {
    simulation.resourcePolicy = set.resource
  }
  return simulation
}

function describeErrors(errors) {
  if (!errors) return 'unknown error'
  const { message, ...details } = errors
  const rest = Object.keys(details).length ? ` ${JSON.stringify(details)}` : ''
  return `${message}${rest}`
}

async function decide(set, request) {
  const response = await runSimulation(simulationFor(set, request), { simulationMode: 'Strict' })
  if (response.resultType === 'error') {
    return { decision: 'Error', error: describeErrors(response.errors), ignored: [] }
  }
  if (response.resultType !== 'single') {
    // Requests carry concrete resources, so a wildcard fan-out means the input was wrong.
    return { decision: 'Error', error: `unexpected resultType ${response.resultType}`, ignored: [] }
  }
  return {
    decision: response.overallResult,
    error: null,
    ignored: response.result.ignoredContextKeys ?? []
  }
}

async function main() {
  const path = process.argv[2]
  if (!path) {
    process.stderr.write('usage: node oracle.mjs WORKLOAD.json\n')
    process.exit(2)
  }
  const workload = JSON.parse(readFileSync(path, 'utf8'))
  if (workload.format !== 'iamd-workload/1') {
    process.stderr.write(`not an iamd-workload/1 document: ${workload.format}\n`)
    process.exit(2)
  }
  const out = []
  for (const request of workload.requests) {
    const set = workload.policy_sets[request.policy_set]
    let line
    if (!set) {
      line = { decision: 'Error', error: `unknown policy set ${request.policy_set}`, ignored: [] }
    } else {
      try {
        line = await decide(set, request)
      } catch (error) {
        line = { decision: 'Error', error: `exception: ${error?.message ?? error}`, ignored: [] }
      }
    }
    out.push(JSON.stringify({ id: request.id, ...line }))
    if (out.length >= 500) {
      process.stdout.write(out.join('\n') + '\n')
      out.length = 0
    }
  }
  if (out.length) process.stdout.write(out.join('\n') + '\n')
}

await main()
